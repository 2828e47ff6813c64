import type { NextFunction, Request, Response } from 'express';
import { inTurn } from './http-setup';

describe('middlewares in turn, as one layer', () => {
  const request = {} as Request;
  const response = {} as Response;
  type Step = (request: Request, response: Response, next: NextFunction) => void;
  const run = (...steps: Step[]) =>
    new Promise<unknown>((resolve) => inTurn(...steps)(request, response, ((error?: unknown) => resolve(error ?? 'done')) as NextFunction));

  it('runs each in order, then goes on', async () => {
    const seen: string[] = [];
    const step = (name: string) => (_request: Request, _response: Response, next: NextFunction) => {
      seen.push(name);
      next();
    };
    await expect(run(step('a'), step('b'), step('c'))).resolves.toBe('done');
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('skips the rest on an error, as Express does, and hands it on', async () => {
    const refused = new Error('refused');
    const later = jest.fn();
    await expect(run((_request: Request, _response: Response, next: NextFunction) => next(refused), later)).resolves.toBe(refused);
    expect(later).not.toHaveBeenCalled();
  });

  it('waits for a middleware that goes on later', async () => {
    const seen: string[] = [];
    const slow: Step = (_request, _response, next) => {
      setImmediate(() => (seen.push('slow'), next()));
    };
    const after: Step = (_request, _response, next) => (seen.push('after'), next());
    await expect(run(slow, after)).resolves.toBe('done');
    expect(seen).toEqual(['slow', 'after']);
  });
});
