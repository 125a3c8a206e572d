#!/usr/bin/env node
// The `l3c` command: runs cli/src/cli.ts through tsx (TypeScript sources ship as is).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli/src/cli.ts");
process.exitCode = await main(process.argv.slice(2));
