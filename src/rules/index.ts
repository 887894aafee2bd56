export * from './schema.ts';
export { parseRules, loadRulesFile, RulesError, formatProblem, type RulesProblem } from './parse.ts';
export { cronProblem, isValidTimeZone } from './validate.ts';
export { watchRules, describeRulesChange } from './watch.ts';
