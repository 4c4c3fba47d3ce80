#!/usr/bin/env node
// The djq-worker command. Committed, not built, so installing the workspace can link it before dist/ exists.
import "../dist/main.js";
