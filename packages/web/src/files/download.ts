/**
 * Downloads through signed links (POST .../files/download-links): a link cannot carry the session token, so
 * the server signs a short-lived URL for exactly these files and this user, and the browser follows it as an
 * ordinary download (saved under the server's name, resumable by the browser for one file).
 */
import type { PhotonClient } from '@photon-dm/client';

export async function downloadFiles(
  client: PhotonClient,
  experiment: string,
  paths: string[],
): Promise<void> {
  const links = await client.files.downloadLinks(experiment, paths);
  const target = links.archive ?? links.files[0];
  if (target === undefined) return;
  const anchor = document.createElement('a');
  anchor.href = target.url;
  anchor.download = target.fileName;
  anchor.rel = 'noopener';
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
}
