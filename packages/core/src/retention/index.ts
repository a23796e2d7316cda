/** Retention: which checkpoints of a directory to keep, and deleting the others safely (`ckpt prune`). */
export { deletionOrder } from './deletion-order.js';
export { formatDuration, planRetention, type PlanRetentionOptions, type RetentionCandidate, type RetentionDecision } from './planner.js';
export { planPrune, pruneCheckpoints, type PruneOptions, type PruneProgress, type PruneResult, type PruneRunOptions, type PrunePlan, type PrunedCheckpoint } from './prune.js';
export { checkRules, hasKeepRule, parseDuration, type RetentionRules } from './rules.js';
