#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { EventBus } from '../events.ts';
import { createLogger, logEvents } from '../log.ts';
import { ConfigError } from '../config-error.ts';
import { DEV_USAGE, parseDevArgs } from '../dev/config.ts';
import { reportEvents } from '../dev/reporter.ts';
import { startDev } from '../dev/run.ts';
import { OPERATOR_USAGE, parseOperatorArgs } from '../operator/config.ts';
import { startOperator } from '../operator/run.ts';
import { parseValidateArgs, VALIDATE_USAGE } from '../validate/args.ts';
import { readManifestInputs } from '../validate/files.ts';
import { exitCodeOf, formatJson, formatText } from '../validate/report.ts';
import { validateManifests } from '../validate/validate.ts';

const USAGE = `Usage: latchkey <command> [options]

Commands:
  dev        serve a folder of manifests with the embedded store (no cluster)
  operator   reconcile Latchkey's custom resources from a Kubernetes API server and serve tokens
  validate   check manifests offline (schemas, references, cross-namespace opt-in) for CI

Run 'latchkey <command> --help' for a command's options.
`;

async function dev(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(DEV_USAGE);
    return;
  }
  const config = parseDevArgs(argv, process.cwd());
  const events = new EventBus();
  if (config.logFormat === 'json') logEvents(events, createLogger());
  else reportEvents(events, (line) => process.stdout.write(`${line}\n`));
  const server = await startDev(config, events);
  process.stdout.write(`${server.readyMessage()}\n`);
  const stop = () => {
    server.close().then(
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
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(OPERATOR_USAGE);
    return;
  }
  const config = parseOperatorArgs(argv, podNamespace());
  const events = new EventBus();
  if (config.logFormat === 'json') logEvents(events, createLogger());
  else reportEvents(events, (line) => process.stdout.write(`${line}\n`));
  const running = await startOperator(config, { events });
  process.stdout.write(`Latchkey operator started: issuer ${running.issuer}, identity ${config.identity}\n`);
  void running.whenReady().then(() => process.stdout.write('Latchkey operator is ready\n'));
  const stop = () => {
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function validate(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(VALIDATE_USAGE);
    return;
  }
  const options = parseValidateArgs(argv);
  const result = validateManifests(await readManifestInputs(options.paths, process.cwd()));
  process.stdout.write(options.output === 'json' ? formatJson(result) : formatText(result));
  // exitCode rather than exit(): stdout may be a pipe that has not drained yet.
  process.exitCode = exitCodeOf(result);
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
  const e = err as Error & { code?: string };
  process.stderr.write(
    `latchkey: ${e.code === 'LATCHKEY_CONFIG' ? '' : `${e.code ?? 'error'}: `}${e.message}\n`,
  );
  process.exit(e.code === 'LATCHKEY_CONFIG' ? 2 : 1);
});
