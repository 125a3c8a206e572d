/**
 * @module context
 * The configuration and origin of a Worker's bindings, built once per `env` (the Worker
 * and the KeyFlight Durable Object share it). A bad configuration is remembered and thrown
 * on every request, so each answers 500 naming the variable.
 */

import { type EdgeConfig, EdgeConfigError, type EdgeEnv, loadEdgeConfig } from "./config.js";
import { createOrigin, type Origin } from "./origin.js";

export interface EdgeContext {
  cfg: EdgeConfig;
  origin: Origin;
}

let built: { env: EdgeEnv; value: EdgeContext | EdgeConfigError } | undefined;

export function edgeContext(env: EdgeEnv): EdgeContext {
  if (built?.env !== env) {
    try {
      const cfg = loadEdgeConfig(env);
      built = { env, value: { cfg, origin: createOrigin(cfg, env) } };
    } catch (e) {
      if (!(e instanceof EdgeConfigError)) throw e;
      built = { env, value: e };
    }
  }
  if (built.value instanceof EdgeConfigError) throw built.value;
  return built.value;
}
