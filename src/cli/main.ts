#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { systemClock } from '../clock.ts';
import { ConfigError } from '../config-error.ts';
import { USAGE } from './commands.ts';
import { errorExit } from './error-line.ts';
import { statusLine } from './status-line.ts';
import { packageVersion } from './version.ts';
import type { EventBus } from '../events.ts';
import type { LogLevel } from '../log-level.ts';

// Each command imports only its own modules: the operator never loads the manifest validators (ajv, yaml),
// dev mode never loads the Kubernetes client, so neither keeps the other's code and source text in memory.

/** Reports events as JSON logs or as lines for people; pino is loaded only when JSON is asked for. */
async function reporting(
  events: EventBus,
  config: { logFormat: 'text' | 'json'; logLevel?: LogLevel },
): Promise<void> {
  if (config.logFormat === 'json') {
    const { createLogger, logEvents } = await import('../log.ts');
    logEvents(events, createLogger(undefined, config.logLevel));
  } else {
    const { reportEvents } = await import('../dev/reporter.ts');
    reportEvents(events, (line) => process.stdout.write(`${line}\n`), { level: config.logLevel });
  }
}

async function dev(argv: string[]): Promise<void> {
  const { DEV_USAGE, parseDevArgs } = await import('../dev/config.ts');
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(DEV_USAGE);
    return;
  }
  const config = parseDevArgs(argv, process.cwd());
  const [{ EventBus }, { startDev }] = await Promise.all([import('../events.ts'), import('../dev/run.ts')]);
  const events = new EventBus();
  await reporting(events, config);
  const server = await startDev(config, events);
  stopOnSignal(() => server.close());
  const ready = { event: 'dev.ready', msg: 'Latchkey dev is ready', text: server.readyMessage() };
  process.stdout.write(
    statusLine(config.logFormat, { ...ready, fields: { ...server.readyParts() } }, systemClock()),
  );
}

/**
 * Closes on SIGINT or SIGTERM, then exits. Installed before the ready line is printed: a supervisor that
 * signals as soon as it reads that line would otherwise find no handler and kill the process uncleanly.
 */
function stopOnSignal(close: () => Promise<void>): void {
  const stop = () => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** The pod's namespace, as the ServiceAccount volume states it; undefined outside a cluster. */
function podNamespace(): string | undefined {
  try {
    return (
      readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || undefined
    );
  } catch {
    return undefined;
  }
}

async function operator(argv: string[]): Promise<void> {
  const { OPERATOR_USAGE, parseOperatorArgs } = await import('../operator/config.ts');
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(OPERATOR_USAGE);
    return;
  }
  const config = parseOperatorArgs(argv, podNamespace(), process.env);
  const [{ EventBus }, { startOperator }] = await Promise.all([
    import('../events.ts'),
    import('../operator/run.ts'),
  ]);
  const events = new EventBus();
  await reporting(events, config);
  const running = await startOperator(config, { events });
  stopOnSignal(() => running.close());
  const started = {
    event: 'operator.started',
    msg: 'Latchkey operator started',
    text: `Latchkey operator started: issuer ${running.issuer}, identity ${config.identity}`,
    fields: { issuer: running.issuer, identity: config.identity },
  };
  process.stdout.write(statusLine(config.logFormat, started, systemClock()));
  const ready = {
    event: 'operator.ready',
    msg: 'Latchkey operator is ready',
    text: 'Latchkey operator is ready',
  };
  void running
    .whenReady()
    .then(() => process.stdout.write(statusLine(config.logFormat, ready, systemClock())));
}

async function validate(argv: string[]): Promise<void> {
  const { parseValidateArgs, VALIDATE_USAGE } = await import('../validate/args.ts');
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(VALIDATE_USAGE);
    return;
  }
  const options = parseValidateArgs(argv);
  const [{ readManifestInputs }, { exitCodeOf, formatJson, formatText }, { validateManifests }] =
    await Promise.all([
      import('../validate/files.ts'),
      import('../validate/report.ts'),
      import('../validate/validate.ts'),
    ]);
  const result = validateManifests(
    await readManifestInputs(options.paths, process.cwd(), { exclude: options.exclude }),
  );
  process.stdout.write(options.output === 'json' ? formatJson(result) : formatText(result));
  // exitCode rather than exit(): stdout may be a pipe that has not drained yet.
  process.exitCode = exitCodeOf(result);
}

/** `latchkey login`, `token` and `kubectl-credential`: a person's sign-in from a terminal (src/cli/login/). */
async function personal(command: 'login' | 'token' | 'kubectl-credential', argv: string[]): Promise<void> {
  const options = await import('./login/options.ts');
  if (argv.includes('--help') || argv.includes('-h')) {
    const usage = {
      login: options.LOGIN_USAGE,
      token: options.TOKEN_USAGE,
      'kubectl-credential': options.KUBECTL_CREDENTIAL_USAGE,
    };
    process.stdout.write(usage[command]);
    return;
  }
  const commands = await import('./login/commands.ts');
  const run = {
    login: commands.login,
    token: commands.token,
    'kubectl-credential': commands.kubectlCredential,
  };
  await run[command](argv, {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    now: systemClock,
  });
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'dev':
      return dev(rest);
    case 'operator':
      return operator(rest);
    case 'validate':
      return validate(rest);
    case 'login':
    case 'token':
    case 'kubectl-credential':
      return personal(command, rest);
    case 'version':
    case '--version':
      process.stdout.write(`latchkey ${packageVersion()}\n`);
      return;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    default:
      throw new ConfigError('command', `unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const { line, code } = errorExit(err);
  process.stderr.write(line);
  process.exit(code);
});
