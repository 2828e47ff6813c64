/** Entry point for specs (`@app/domain/testing`): the decider's given/when/then and hand-made dossier events. */
export * from './decider-specification';
export * from './dossier-events';
