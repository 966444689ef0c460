/** The server package's public face, used by the `dm` CLI and by tests. */
export { type App, createApp } from './app.ts';
export { migrateDatabase, type RunningServer, startServer } from './serve.ts';
export {
  configFileEnv,
  loadSettings,
  type Settings,
  SettingsError,
  settingDefinitions,
} from './settings/settings.ts';
export { sudoersPaths, sudoersRules } from './system/sudoers.ts';
