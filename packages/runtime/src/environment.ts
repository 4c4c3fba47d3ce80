// The one set of environment variables every djq program reads, so a deployment sets where the
// queue is, its secrets and its TLS files once for the queue, its workers and its clients alike.
// A flag given on the command line always wins over its variable.

/** Each setting's variable. The queue listens on DJQ_HOST:DJQ_PORT; workers and clients connect there. */
export const djqEnvironment = {
  host: "DJQ_HOST",
  port: "DJQ_PORT",
  clientSecret: "DJQ_CLIENT_SECRET",
  workerSecret: "DJQ_WORKER_SECRET",
  /** The queue's certificate and key (PEM files): with both, it serves TLS. */
  tlsCert: "DJQ_TLS_CERT",
  tlsKey: "DJQ_TLS_KEY",
  /** The CA (PEM file) workers and clients trust: with it, they connect with TLS. */
  tlsCa: "DJQ_TLS_CA",
  /** The name on the queue's certificate, when it is not the host workers and clients connect to. */
  tlsServername: "DJQ_TLS_SERVERNAME",
} as const;

export type DjqSetting = keyof typeof djqEnvironment;

/** The flag's value if given, else the setting's variable if set and not empty, else undefined. */
export function flagOrEnvironment(
  flag: string | undefined,
  setting: DjqSetting,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  if (flag !== undefined) return flag;
  const value = env[djqEnvironment[setting]];
  return value === undefined || value === "" ? undefined : value;
}
