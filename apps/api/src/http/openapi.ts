import type { INestApplication } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiSchema, DocumentBuilder, getSchemaPath, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type {
  HeaderObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { CORRELATION_ID_HEADER } from './request-context';
import { PROBLEM_CONTENT_TYPE } from './problem';

class FieldErrorView {
  @ApiProperty({ example: 'person.birthDate', description: 'The field, nested fields joined with dots' }) field: string;
  @ApiProperty({ type: [String], example: ['birthDate must be a date YYYY-MM-DD'] }) messages: string[];
}

@ApiSchema({
  name: 'Problem',
  description: 'An error (RFC 9457, application/problem+json). Some types carry more members (currentVersion, existingDossierId, checks…): docs/errors.md',
})
export class ProblemView {
  @ApiProperty({
    format: 'uri-reference',
    example: '/problems/version-mismatch',
    description: 'What went wrong: a path under /problems/; GET it for the page that explains it',
  })
  type: string;
  @ApiProperty({ example: 'Precondition failed' }) title: string;
  @ApiProperty({ example: 412 }) status: number;
  @ApiPropertyOptional({ description: 'What is wrong and what to do' }) detail?: string;
  @ApiPropertyOptional({ format: 'uri-reference', example: '/dossiers/5b0d2c1e-8d0b-4c53-9a43-2f1e7a9c1d10/housed', description: 'The request path, without the query' })
  instance?: string;
  @ApiPropertyOptional({ example: 'person-has-left', description: 'Business rules (409): the rule broken, the slug of type' }) rule?: string;
  @ApiPropertyOptional({ type: [FieldErrorView], description: 'validation-failed: every invalid field' }) errors?: FieldErrorView[];
  @ApiPropertyOptional({ enum: ['expired', 'signature', 'invalid'], description: 'invalid-token: why the token was refused' }) reason?: string;
}

/** The JSON of an error answer, for `content` of a response. */
export const PROBLEM_CONTENT = { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemView) } } };

/** Response headers the API sends, documented once; `headers: { ETag: RESPONSE_HEADERS.ETag }` in a response. */
export const RESPONSE_HEADERS = {
  ETag: {
    description: 'The version of the dossier this answer shows or the command reached, e.g. `"3"`: send it back in If-Match',
    schema: { type: 'string', example: '"3"' },
  },
  Location: { description: 'The new dossier: /dossiers/{id}', schema: { type: 'string', format: 'uri-reference' } },
  'Idempotent-Replayed': {
    description: '`true` when this is the kept answer of an earlier request with the same Idempotency-Key: nothing was recorded again',
    schema: { type: 'string', enum: ['true'] },
  },
  'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer', example: 1 } },
} satisfies Record<string, HeaderObject>;

type Responses = Record<string, ResponseObject | ReferenceObject>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

const CORRELATION_ID: ParameterObject = {
  name: CORRELATION_ID_HEADER,
  in: 'header',
  required: false,
  description:
    'Ties the request to its log lines and to the metadata of the events it records; returned on every answer. ' +
    'Absent, or not 1 to 128 visible ASCII characters: one is generated.',
  schema: { type: 'string', maxLength: 128 },
};
const IDEMPOTENCY_KEY: ParameterObject = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes a retry safe: the same key with the same request gives the first answer again (Idempotent-Replayed: true) and records nothing new; ' +
    'with another request, 422 idempotency-key-reused. 1 to 255 visible ASCII characters, per user, kept IDEMPOTENCY_RETENTION (default 30 days).',
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
};

/** Adds an error answer, or says more in one already documented for another reason. */
function addProblem(responses: Responses, status: number | '4XX', description: string, headers?: Record<string, HeaderObject>): void {
  const existing = responses[status] as ResponseObject | undefined;
  if (existing && existing.description.includes(description)) return;
  responses[status] = existing
    ? { ...existing, description: `${existing.description}; or: ${description}`, headers: { ...existing.headers, ...headers } }
    : { description, ...(headers ? { headers } : {}) };
}

/**
 * What holds for every operation, added where the pipeline makes it so rather than on each route:
 * - the correlation id (request-context.ts) on every request and every answer;
 * - 401, 403 and 429 on every route that needs a token (AuthGuard refuses without one, or with a
 *   role the route does not take; RateLimitGuard counts every such route);
 * - Idempotency-Key on every POST that needs a token (IdempotencyInterceptor), with its header
 *   on replayed answers and its 409 and 422;
 * - 400, 413 and 415 on every request with a body (http-setup.ts reads only JSON, up to BODY_LIMIT),
 *   and as 4XX on the routes that take none (a body sent anyway goes through the same checks);
 * - the Problem schema on every error answer.
 * A route that is neither @Public() nor under @ApiBearerAuth() stops the document: it would be
 * refused by the guard but documented as open.
 */
export function completeOpenApiDocument(document: OpenAPIObject): OpenAPIObject {
  document.components = {
    ...document.components,
    parameters: { ...document.components?.parameters, CorrelationId: CORRELATION_ID, IdempotencyKey: IDEMPOTENCY_KEY },
    headers: {
      ...document.components?.headers,
      CorrelationId: { description: 'The request’s X-Correlation-Id, or the one generated for it', schema: { type: 'string' } },
    },
  };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method] as OperationObject | undefined;
      if (!operation) continue;
      const where = `${method.toUpperCase()} ${path}`;
      if (!operation.security?.length) throw new Error(`OpenAPI: ${where} is neither @Public() nor under @ApiBearerAuth()`);
      const authenticated = operation.security.some((requirement) => 'bearer' in requirement);
      const responses = operation.responses as Responses;
      operation.parameters = [...(operation.parameters ?? []), { $ref: '#/components/parameters/CorrelationId' }];
      if (authenticated) {
        addProblem(responses, 401, 'No bearer token (unauthenticated), or one that is expired, wrongly signed or for another service (invalid-token)');
        addProblem(responses, 403, "The token's roles do not allow this (forbidden)");
        addProblem(responses, 429, 'More than RATE_LIMIT_PER_MINUTE requests in a minute from this user (too-many-requests)', {
          'Retry-After': RESPONSE_HEADERS['Retry-After'],
        });
        if (method === 'post') {
          operation.parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });
          addProblem(responses, 400, 'Idempotency-Key is not 1 to 255 visible ASCII characters (invalid-idempotency-key)');
          addProblem(responses, 409, 'a request with this Idempotency-Key is still being processed (request-in-progress)', {
            'Retry-After': RESPONSE_HEADERS['Retry-After'],
          });
          addProblem(responses, 422, 'This Idempotency-Key was used for another request (idempotency-key-reused)');
        }
      }
      if (operation.requestBody) {
        addProblem(responses, 400, 'The body is not valid JSON, or nested too deep (bad-request)');
        addProblem(responses, 413, 'The body is larger than BODY_LIMIT (payload-too-large)');
        addProblem(responses, 415, 'The body is not application/json (unsupported-media-type)');
      } else {
        // The pipeline reads a body sent anyway, on every route: so even a route that takes none can refuse one.
        addProblem(responses, '4XX', 'A body was sent that is not JSON (415 unsupported-media-type), larger than BODY_LIMIT (413) or not valid JSON (400)');
      }
      for (const [status, response] of Object.entries(responses) as Array<[string, ResponseObject]>) {
        response.headers = { [CORRELATION_ID_HEADER]: { $ref: '#/components/headers/CorrelationId' }, ...response.headers };
        if (authenticated && method === 'post' && status.startsWith('2')) {
          response.headers['Idempotent-Replayed'] = RESPONSE_HEADERS['Idempotent-Replayed'];
        }
        if ((status === '4XX' || Number(status) >= 400) && !response.content) response.content = PROBLEM_CONTENT;
      }
    }
  }
  return document;
}

/** The OpenAPI document of the running app, served at /docs (Swagger UI) and /docs/openapi.json. */
export function setUpOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Temporary-protection dossiers')
      .setDescription(
        'Event-sourced dossiers of displaced persons from Ukraine under EU temporary protection in Flanders. ' +
          'Errors are application/problem+json (RFC 9457); the `type` of each is a path under /problems/ that explains it (docs/errors.md lists them all).',
      )
      .setVersion('1')
      .setLicense('EUPL-1.2', 'https://interoperable-europe.ec.europa.eu/collection/eupl/eupl-text-eupl-12')
      .addServer('/', 'This service')
      .addBearerAuth()
      .build(),
    { extraModels: [ProblemView] },
  );
  SwaggerModule.setup('docs', app, completeOpenApiDocument(document), { jsonDocumentUrl: 'docs/openapi.json' });
}
