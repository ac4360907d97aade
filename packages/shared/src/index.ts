export * from './paths.ts';
export * from './reasons.ts';
export * from './fields.ts';
export * from './dto.ts';
export * from './procedures.ts';
export * from './user-agent.ts';
