// Preloaded with `--require` (through NODE_OPTIONS) into an orderer process
// by nativeFree.e2e.test.ts; Node runs it in the main thread and again in
// every worker thread. It refuses every native add-on: a `.node` file reaches
// the process only through process.dlopen (require's '.node' handler calls
// it), so both are replaced by a function that records the file in
// $ADDON_LOG and throws naming it. A package that loads an add-on only if it
// can (msgpackr) swallows the error; the record still shows the attempt.
'use strict';
const fs = require('node:fs');
const Module = require('node:module');
const { threadId } = require('node:worker_threads');

const log = process.env.ADDON_LOG;
if (!log) throw new Error('refuseAddons.cjs: set ADDON_LOG to the file that records add-on loads');

function refuse(file) {
  fs.appendFileSync(log, `refused ${file}\n`);
  throw new Error(`native add-on refused: ${file}`);
}

process.dlopen = (_module, file) => refuse(String(file));
Module._extensions['.node'] = (_module, file) => refuse(String(file));
fs.appendFileSync(log, `pid ${process.pid} thread ${threadId} refuses add-ons\n`);
