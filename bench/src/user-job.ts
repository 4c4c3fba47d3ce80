// The job of the user-shaped workloads: what a web application enqueues when a request asks for
// an e-mail, run by the program's own handler on a named queue. It stands for real use where the
// sleep handler and the default queue stand for the bench's synthetic jobs.
import type { JobSpec } from "@djq/protocol";
import { z } from "zod";

export const userQueue = "emails";
export const userJobType = "email.send";

/** The payload's schema, as a program declares it in its `jobTypes`: the worker checks each payload with it. */
export const WelcomeEmail = z.object({ to: z.string(), template: z.string(), userId: z.number().int() });
export type WelcomeEmail = z.infer<typeof WelcomeEmail>;

export const userJobTypes = { [userJobType]: WelcomeEmail };

export const userJob: JobSpec = {
  queue: userQueue,
  type: userJobType,
  payload: { to: "ada@example.com", template: "welcome", userId: 1815 } satisfies WelcomeEmail,
};

/** The handler's work: render the message it would send. Small, as the bench wants, but real. */
export function renderWelcomeEmail(email: WelcomeEmail): { to: string; subject: string; bytes: number } {
  const body = `Hello ${email.to}, welcome (user ${email.userId}, template ${email.template}).`;
  return { to: email.to, subject: `Welcome, ${email.to}`, bytes: body.length };
}
