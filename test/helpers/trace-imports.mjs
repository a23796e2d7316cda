// `node --import ./trace-imports.mjs`: records every module URL the process resolves into the file
// named by CKPT_TRACE_FILE, so a test can prove which packages a command loaded.
import { register } from 'node:module';

register('./trace-hooks.mjs', import.meta.url);
