// A setting the operator must fix before the relay can run (a missing or malformed environment
// variable, a bad mode). The CLI prints its message as one line without a stack and exits 1; the
// message names the variable and what it should look like, never a secret's value.

export class ConfigError extends Error {
  constructor(
    message: string,
    /** The environment variable(s) at fault, e.g. ['LARK_MODE']. */
    readonly variables: readonly string[] = [],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}
