/**
 * Options of `ksetl shell` that also select the shell when they come first
 * without a subcommand (`ksetl --server URL`). Kept apart so that main.ts can
 * route to the shell without loading it.
 */
export const SHELL_FLAGS: ReadonlySet<string> = new Set(['--server', '-s', '--file', '-f', '--execute', '-e', '--user', '-u', '--password', '-p', '--define', '-d', '--history']);
