/** The server package's public face, used by the `dm` CLI and by tests. */
export { createApp, type App } from './app.ts';
export { startServer, migrateDatabase, type RunningServer } from './serve.ts';
export {
  loadSettings,
  settingDefinitions,
  configFileEnv,
  SettingsError,
  type Settings,
} from './settings/settings.ts';
