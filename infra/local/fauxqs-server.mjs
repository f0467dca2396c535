// fauxqs (SNS + SQS emulator) bound to 127.0.0.1 only: its packaged CLI listens on 0.0.0.0.
import { buildApp } from "fauxqs";

const port = parseInt(process.env.BG_SNS_PORT ?? "4566", 10);
const app = buildApp({
  logger: process.env.FAUXQS_LOGGER === "true",
  host: `127.0.0.1:${port}`,
  defaultRegion: process.env.AWS_REGION ?? "us-east-1",
});
await app.listen({ port, host: "127.0.0.1" });
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => app.close().then(() => process.exit(0)));
}
