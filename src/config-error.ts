/** A configuration that cannot work, found at start-up; `field` is the option or dotted path of the bad setting. */
export class ConfigError extends Error {
  readonly code = 'LATCHKEY_CONFIG';
  override readonly name = 'ConfigError';
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}
