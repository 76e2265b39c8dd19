import { defineConfig } from "@playwright/test";
import { formworkConfig } from "../formwork/e2e/config";

// formwork's configuration: Debian's Chromium, one worker, every spec in the js and nojs projects.
export default defineConfig(formworkConfig());
