// The dashboard's HTTP server: node:http and nothing else. It bounds what a visitor can cost
// (methods, URL and body size, connections, live streams, timeouts), then hands the request to
// the route table. It never touches the core; the routes go through the queue façade (queue-facade.ts).
import http from "node:http";
import type net from "node:net";
import type { Logger } from "@djq/runtime";
import type { Broker } from "../broker.js";
import { QueueFacade } from "./queue-facade.js";
import { EventStream, defaultEventStreamLimits } from "./event-stream.js";
import { renderPage } from "./page.js";
import { allowedMethods, refuse, routes, send, type RouteContext } from "./routes.js";

export interface DashboardConfig {
  host: string;
  port: number;
  /** When set, POSTs presenting it as a bearer token may cancel and retry jobs. */
  clientSecret: string | undefined;
  maxStreams: number;
  maxConnections: number;
  maxBodyBytes: number;
  maxUrlChars: number;
}

export const defaultDashboardConfig: Omit<DashboardConfig, "host" | "port" | "clientSecret"> = {
  maxStreams: defaultEventStreamLimits.maxClients,
  maxConnections: 256,
  maxBodyBytes: 1024,
  maxUrlChars: 2048,
};

export class Dashboard {
  private readonly server: http.Server;
  private readonly stream: EventStream;
  private readonly page: string;

  constructor(
    private readonly queue: QueueFacade,
    private readonly config: DashboardConfig,
    private readonly log: Logger,
  ) {
    this.stream = new EventStream(queue, { ...defaultEventStreamLimits, maxClients: config.maxStreams });
    this.page = renderPage(config.clientSecret !== undefined);
    this.server = http.createServer({ headersTimeout: 10_000, requestTimeout: 15_000, keepAliveTimeout: 5_000, maxHeaderSize: 16 * 1024 }, (request, response) =>
      this.receive(request, response),
    );
    this.server.maxConnections = config.maxConnections;
    this.server.on("clientError", (_error, socket: net.Socket) => {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
      else socket.destroy();
    });
  }

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen({ host: this.config.host, port: this.config.port }, () => {
        this.server.off("error", reject);
        this.server.on("error", (error) => this.log.error("dashboard.error", { error: error.message }));
        const address = this.server.address() as net.AddressInfo;
        resolve({ host: address.address, port: address.port });
      });
    });
  }

  /** Ends the live streams and every open connection. */
  close(): Promise<void> {
    this.stream.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    return closed;
  }

  private receive(request: http.IncomingMessage, response: http.ServerResponse): void {
    const method = request.method ?? "";
    const url = request.url ?? "/";
    if (url.length > this.config.maxUrlChars) return this.reject(request, response, 414, "url-too-long", `URLs are limited to ${this.config.maxUrlChars} characters`);
    const path = url.split("?")[0] as string;
    const matching = routes.filter((route) => route.path.test(path));
    const route = matching.find((r) => r.method === method || (method === "HEAD" && r.method === "GET"));
    if (route === undefined) {
      if (matching.length === 0) return this.reject(request, response, 404, "not-found", `nothing at ${path.slice(0, 100)}`);
      const allow = allowedMethods(matching);
      return this.reject(request, response, 405, "method-not-allowed", `${path.slice(0, 100)} takes ${allow}`, { allow });
    }
    // Node sends no body for HEAD; only a live stream must not be opened for one.
    if (method === "HEAD" && route.streams === true) return send(response, 200, "text/event-stream; charset=utf-8", "");
    // No route reads a body; one is tolerated only if small, so a request cannot park data here.
    let bytes = 0;
    let rejected = false;
    request.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > this.config.maxBodyBytes && !rejected) {
        rejected = true;
        this.reject(request, response, 413, "body-too-large", `request bodies are limited to ${this.config.maxBodyBytes} bytes`);
      }
    });
    request.on("end", () => {
      if (rejected) return;
      const context: RouteContext = { queue: this.queue, stream: this.stream, log: this.log, clientSecret: this.config.clientSecret, page: this.page, request, response };
      try {
        route.handle(context, route.path.exec(path) as RegExpExecArray);
      } catch (error) {
        this.log.error("dashboard.crashed", { method, path, error: (error as Error).stack });
        if (!response.headersSent) refuse(response, 500, "internal", "the dashboard failed on this request; nothing was changed");
        else response.destroy();
      }
    });
  }

  /** Answers an error and closes the connection, leaving any unread body behind. */
  private reject(request: http.IncomingMessage, response: http.ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
    this.log.debug("dashboard.rejected", { method: request.method, status, remote: request.socket.remoteAddress });
    refuse(response, status, code, message, { connection: "close", ...headers });
    request.resume();
  }
}

/** Starts the dashboard on the queue's host; logs `dashboard.listening` with the port it got. */
export async function startDashboard(
  broker: Broker,
  config: Pick<DashboardConfig, "host" | "port" | "clientSecret"> & Partial<DashboardConfig>,
  log: Logger,
): Promise<Dashboard> {
  const dashboard = new Dashboard(new QueueFacade(broker), { ...defaultDashboardConfig, ...config }, log);
  const address = await dashboard.listen();
  log.info("dashboard.listening", { host: address.host, port: address.port, actions: config.clientSecret !== undefined });
  return dashboard;
}
