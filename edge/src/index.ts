/**
 * @module index
 * Cloudflare Worker entry (wrangler.toml `main`): the app, and the Durable Object class
 * bound as KEY_FLIGHT.
 */
import { createEdgeApp } from "./app.js";

export { KeyFlight } from "./flight.js";
export default createEdgeApp();
