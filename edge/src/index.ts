/**
 * @module index
 * Cloudflare Worker entry (wrangler.toml `main`).
 */
import { createEdgeApp } from "./app.js";

export default createEdgeApp();
