#!/usr/bin/env node
// The djq command. Committed, not built, so installing the workspace can link it before dist/ exists.
import "../dist/main.js";
