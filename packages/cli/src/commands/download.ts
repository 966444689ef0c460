/** `dm download`: cataloged files to a local directory, verified and resumable (APS: dm-download). */
import type { CatalogFile } from '@photon-dm/client';
import type { Command } from 'commander';
import { addClientOptions, CliError, type ClientOptions, createContext, type Runtime } from '../context.ts';
import { downloadFile } from '../download.ts';
import { formatRecord } from '../output.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * @example
 * registerDownloadCommand(program, runtime); // dm download --experiment E --path-glob '*.h5' --destination ./data
 */
export function registerDownloadCommand(program: Command, runtime: Runtime): void {
  addClientOptions(
    program
      .command('download')
      .description("download an experiment's files, verifying checksums; run again to resume")
      .requiredOption('--experiment <name>', 'the experiment')
      .requiredOption('--destination <directory>', 'local directory; paths below it mirror the experiment')
      .option('--path-glob <glob>', 'only paths matching, e.g. "scan_*/*.h5"')
      .option('--where <condition>', 'key op value or "key exists"; repeat for AND', collect, []),
  ).action(
    async (
      options: ClientOptions & {
        experiment: string;
        destination: string;
        pathGlob?: string;
        where: string[];
      },
    ) => {
      const context = createContext(runtime, options);
      const { client } = context;
      const files: CatalogFile[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.files.list(options.experiment, {
          limit: 1000,
          ...(options.pathGlob !== undefined && { pathGlob: options.pathGlob }),
          ...(options.where.length > 0 && { where: options.where }),
          ...(cursor && { cursor }),
        });
        files.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);

      const result = {
        downloaded: 0,
        resumed: 0,
        present: 0,
        failed: [] as { path: string; error: string }[],
      };
      for (const [index, file] of files.entries()) {
        try {
          const outcome = await downloadFile(client, file, options.destination);
          result[outcome]++;
          if (!context.json)
            runtime.stderr.write(`[${index + 1}/${files.length}] ${outcome} ${file.experimentFilePath}\n`);
        } catch (error) {
          result.failed.push({
            path: file.experimentFilePath,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
      context.emit(result, (r) =>
        formatRecord({
          downloaded: r.downloaded,
          resumed: r.resumed,
          alreadyPresent: r.present,
          failed: r.failed.map((f) => `${f.path} (${f.error})`).join('; ') || 0,
        }),
      );
      if (result.failed.length > 0)
        throw new CliError(`${result.failed.length} files failed; run the same command again to resume`);
    },
  );
}
