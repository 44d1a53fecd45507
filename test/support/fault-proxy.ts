import * as http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small fault-injecting HTTP proxy between the AWS SDK and moto (loopback only). It answers a chosen share or
 * count of calls with an AWS error in the right wire format for the protocol (JSON for Organizations, query/XML
 * for STS, IAM and CloudFormation), drops connections, delays answers, or rewrites moto's responses to model
 * what moto cannot (failed or drifted stack instances, AutoDeployment), drips an answer a byte at a time, repeats a
 * NextToken forever, or answers 200 with any body. It counts requests per operation. A token bucket (setTokenBucket)
 * models a service quota: `rate` tokens a second, at most `burst` saved; a request that finds the bucket empty is
 * answered TooManyRequestsException (counted in `throttled`).
 */
export type Fault =
  | { kind: "error"; code: string; status?: number; message?: string }
  | { kind: "drop" }
  | { kind: "delay"; ms: number }
  /** Forward, then send moto's answer one byte every `intervalMs` (headers at once): a socket that is never idle. */
  | { kind: "drip"; intervalMs: number }
  /** Forward, then set the JSON answer's NextToken to `token` on every page: a pagination loop. */
  | { kind: "repeatToken"; token: string }
  /** Answer with this body and status (default 200) instead of forwarding: e.g. an AWS error shape with HTTP 200. */
  | { kind: "body"; body: string; status?: number };

export interface FaultRule {
  /** Operations it applies to, e.g. ["ListAccountsForParent"] (default: every operation). */
  operations?: string[];
  /** Fault the next `count` matching requests, then stop. */
  count?: number;
  /** Fault this share (0..1) of matching requests, chosen by a seeded RNG. */
  rate?: number;
  fault: Fault;
}

export type Rewrite = (
  operation: string,
  body: string,
  request: { body: string; headers: http.IncomingHttpHeaders },
) => string | undefined;

export interface FaultProxy {
  endpoint: string;
  addRule(rule: FaultRule): void;
  clearRules(): void;
  setRewrite(fn: Rewrite | undefined): void;
  /** Throttle beyond `rate` requests a second (saving at most `burst` tokens); undefined turns it off. */
  setTokenBucket(bucket: { rate: number; burst: number } | undefined): void;
  /** Requests the token bucket throttled, per operation. */
  throttled: Map<string, number>;
  /** Arrival time (Date.now()) of every request, in order. */
  arrivals: number[];
  /** Requests forwarded to moto, per operation. */
  forwarded: Map<string, number>;
  /** Requests answered with a fault, per operation. */
  faulted: Map<string, number>;
  resetCounts(): void;
  stop(): Promise<void>;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function operationOf(headers: http.IncomingHttpHeaders, body: string): { op: string; json: boolean } {
  const target = headers["x-amz-target"];
  if (typeof target === "string") return { op: target.split(".").pop() ?? target, json: true };
  const m = /(?:^|&)Action=([A-Za-z0-9]+)/.exec(body);
  return { op: m?.[1] ?? "Unknown", json: false };
}

function errorResponse(res: http.ServerResponse, json: boolean, f: Extract<Fault, { kind: "error" }>): void {
  const status = f.status ?? 400;
  const message = f.message ?? `Injected ${f.code} by the orgtrust fault proxy`;
  if (json) {
    const body = JSON.stringify({ __type: f.code, message, Message: message });
    res.writeHead(status, {
      "content-type": "application/x-amz-json-1.1",
      "x-amzn-errortype": f.code,
      "x-amzn-requestid": "fault-proxy",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
    return;
  }
  const body = `<ErrorResponse><Error><Type>Sender</Type><Code>${f.code}</Code><Message>${message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>`;
  res.writeHead(status, { "content-type": "text/xml", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export async function startFaultProxy(target: string, seed = 42): Promise<FaultProxy> {
  const rng = mulberry32(seed);
  let rules: Array<FaultRule & { used: number }> = [];
  let rewrite: Rewrite | undefined;
  const forwarded = new Map<string, number>();
  const faulted = new Map<string, number>();
  const throttled = new Map<string, number>();
  const arrivals: number[] = [];
  let bucket: { rate: number; burst: number; tokens: number; at: number } | undefined;
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const targetUrl = new URL(target);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body = Buffer.concat(chunks).toString("utf8");
      const { op, json } = operationOf(req.headers, body);
      arrivals.push(Date.now());
      if (bucket) {
        const now = Date.now();
        bucket.tokens = Math.min(bucket.burst, bucket.tokens + ((now - bucket.at) / 1000) * bucket.rate);
        bucket.at = now;
        if (bucket.tokens < 1) {
          bump(throttled, op);
          return errorResponse(res, json, {
            kind: "error",
            code: "TooManyRequestsException",
            message: "Rate exceeded",
          });
        }
        bucket.tokens -= 1;
      }
      const rule = rules.find((r) => {
        if (r.operations && !r.operations.includes(op)) return false;
        if (r.count !== undefined) return r.used < r.count;
        return r.rate !== undefined && rng() < r.rate;
      });
      const forward = (f?: Fault) => {
        bump(forwarded, op);
        const upstream = http.request(
          {
            host: targetUrl.hostname,
            port: targetUrl.port,
            agent: false,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, host: targetUrl.host },
          },
          (up) => {
            const out: Buffer[] = [];
            up.on("data", (c: Buffer) => out.push(c));
            up.on("end", () => {
              let payload = Buffer.concat(out);
              const rewritten = rewrite?.(op, payload.toString("utf8"), { body, headers: req.headers });
              if (rewritten !== undefined) payload = Buffer.from(rewritten, "utf8");
              if (f?.kind === "repeatToken")
                payload = Buffer.from(
                  JSON.stringify({ ...JSON.parse(payload.toString("utf8")), NextToken: f.token }),
                  "utf8",
                );
              const headers: http.OutgoingHttpHeaders = { ...up.headers, "content-length": String(payload.length) };
              delete headers["transfer-encoding"];
              // Hop-by-hop headers are the proxy's own (RFC 9110, 7.6.1): moto's "Connection: close" would otherwise
              // make the SDK open a new connection per request, which AWS does not (and which would count as orgtrust CPU).
              delete headers["connection"];
              delete headers["keep-alive"];
              res.writeHead(up.statusCode ?? 502, headers);
              if (f?.kind !== "drip") return void res.end(payload);
              let i = 0;
              const timer = setInterval(() => {
                if (res.destroyed || i >= payload.length) {
                  clearInterval(timer);
                  if (!res.destroyed) res.end();
                  return;
                }
                res.write(payload.subarray(i, ++i));
              }, f.intervalMs);
              res.on("close", () => clearInterval(timer));
            });
          },
        );
        upstream.on("error", () => {
          res.writeHead(502);
          res.end();
        });
        upstream.end(body);
      };
      if (!rule) return forward(undefined);
      rule.used++;
      bump(faulted, op);
      const f = rule.fault;
      if (f.kind === "drop") {
        req.socket.destroy();
        return;
      }
      if (f.kind === "delay") {
        setTimeout(forward, f.ms);
        return;
      }
      if (f.kind === "drip") return forward(f);
      if (f.kind === "repeatToken") {
        // The looping endpoint answers its own token with the first page again (moto would reject the token).
        const parsed = json && body ? JSON.parse(body) : {};
        if (parsed.NextToken === f.token) delete parsed.NextToken;
        body = JSON.stringify(parsed);
        req.headers["content-length"] = String(Buffer.byteLength(body));
        return forward(f);
      }
      if (f.kind === "body") {
        res.writeHead(f.status ?? 200, {
          "content-type": "application/x-amz-json-1.1",
          "x-amzn-requestid": "fault-proxy",
          "content-length": Buffer.byteLength(f.body),
        });
        res.end(f.body);
        return;
      }
      errorResponse(res, json, f);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    addRule: (rule) => rules.push({ ...rule, used: 0 }),
    clearRules: () => {
      rules = [];
    },
    setRewrite: (fn) => {
      rewrite = fn;
    },
    setTokenBucket: (b) => {
      bucket = b && { ...b, tokens: b.burst, at: Date.now() };
    },
    forwarded,
    faulted,
    throttled,
    arrivals,
    resetCounts: () => {
      forwarded.clear();
      faulted.clear();
      throttled.clear();
      arrivals.length = 0;
    },
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}
