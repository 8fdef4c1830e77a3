/**
 * Scenario folders of examples/ that only `latchkey dev` serves in full: they hold a `test` Connection, which
 * the operator refuses (TestConnectionNotAllowed). Tests that apply examples to a cluster expect these refusals
 * instead of Ready.
 */
export const DEV_ONLY_SCENARIOS: readonly string[] = ['people-sign-in'];

/** The Ready reason of each object of a dev-only scenario that a cluster does not make Ready, by `Kind/ns/name`. */
export const CLUSTER_REFUSALS: Readonly<Record<string, string>> = {
  'Connection/notes/test-people': 'TestConnectionNotAllowed',
  'OAuthClient/notes/notes-web': 'ConnectionCannotSignIn',
  'Role/notes/notes-reader': 'ConnectionCannotSignIn',
  'Role/notes/notes-editor': 'ConnectionCannotSignIn',
};
