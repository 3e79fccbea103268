#!/usr/bin/env node
// Presents npm `solc` (solc-js) to py-solc-x as if it were the native `solc` binary.
// The solcjs CLI prints a ">>> Cannot retry compilation with SMT ..." line before its JSON,
// which py-solc-x cannot parse; calling the compiler's own JS API prints only the JSON.
// Supported: `--version` and `--standard-json` (input on stdin), all py-solc-x asks for here.
"use strict";
const fs = require("fs");
const path = require("path");

const moduleDir = process.env.EDULEDGER_NODE_MODULES || path.resolve(__dirname, "..", "..", "node_modules");
const solc = require(path.join(moduleDir, "solc"));
const args = process.argv.slice(2);

if (args.includes("--version")) {
  process.stdout.write("solc, the solidity compiler commandline interface\nVersion: " + solc.version() + "\n");
} else if (args.includes("--standard-json")) {
  const input = fs.readFileSync(0, "utf8");
  process.stdout.write(solc.compile(input));
} else {
  process.stderr.write("solc_shim: only --version and --standard-json are supported\n");
  process.exit(2);
}
