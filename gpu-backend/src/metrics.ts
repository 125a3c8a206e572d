/**
 * @module metrics
 * Prometheus metrics (prom-client), one registry per app instance.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Scheduler } from "./scheduler.js";

export function createMetrics(scheduler: Scheduler) {
  const registry = new Registry();
  const requests = new Counter({
    name: "l3c_requests_total",
    help: "HTTP requests by route and status",
    labelNames: ["route", "status"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "l3c_request_duration_seconds",
    help: "Request latency by route",
    labelNames: ["route"] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const megapixels = new Counter({
    name: "l3c_megapixels_total",
    help: "Megapixels encoded or decoded",
    labelNames: ["op"] as const,
    registers: [registry],
  });
  new Gauge({
    name: "l3c_queue_depth",
    help: "Requests waiting for a worker slot",
    registers: [registry],
    collect() {
      this.set(scheduler.queued);
    },
  });
  new Gauge({
    name: "l3c_in_flight",
    help: "Requests being coded",
    registers: [registry],
    collect() {
      this.set(scheduler.inFlight);
    },
  });
  return { registry, requests, latency, megapixels };
}

export type Metrics = ReturnType<typeof createMetrics>;
