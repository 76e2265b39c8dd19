import { defineConfig } from "@playwright/test";
import { formworkConfig } from "../../../formwork/e2e/config";

// Every scenario is written with bothWays, which runs it with JavaScript and without itself.
export default defineConfig(formworkConfig({ projects: [{ name: "both ways" }] }));
