import type { Site } from '@photon-dm/client';
import { ErrorMessage } from '../components/error-message.tsx';
import { LoadMoreButton } from '../components/load-more-button.tsx';
import { usePagedList } from '../components/paged-list.ts';
import { useFormCall } from '../components/use-form-call.ts';
import { useSignedIn } from '../session/session.tsx';

/**
 * Where workflow stages run: each site, how it is reached, its batch defaults and which secrets it holds
 * (never their values). Sites are defined with `dm site add` (docs/sites.md); here an admin sees them and
 * lets a site take stages or not.
 */
export function Sites() {
  const { client } = useSignedIn();
  const sites = usePagedList(
    (cursor) => client.sites.list({ limit: 100, ...(cursor && { cursor }) }),
    [client],
  );
  return (
    <div className="admin-page">
      <section aria-labelledby="sites-heading">
        <h2 id="sites-heading">Compute sites</h2>
        <p className="muted">
          Added with <code>dm site add</code>; stages name one with <code>"site"</code>.
        </p>
        {sites.items.map((site) => (
          <SiteRow key={site.name} site={site} onChanged={sites.reload} />
        ))}
        <LoadMoreButton list={sites} />
      </section>
    </div>
  );
}

function SiteRow({ site, onChanged }: { site: Site; onChanged: () => void }) {
  const { client } = useSignedIn();
  const toggle = useFormCall();
  const reach = site.connection?.host ?? site.connection?.url ?? site.connection?.endpointId;
  const defaults = Object.entries(site.defaults ?? {}).map(([name, value]) =>
    name === 'walltime' ? `walltime ${seconds(Number(value))}` : `${name} ${value}`,
  );
  return (
    <article className="panel site" aria-labelledby={`site-${site.name}`}>
      <h3 id={`site-${site.name}`}>
        {site.name} <span className="chip">{site.kind}</span>{' '}
        <span className="chip">{site.enabled ? 'takes stages' : 'disabled'}</span>
      </h3>
      {site.description && <p className="muted">{site.description}</p>}
      <dl className="site-fields">
        {reach && (
          <>
            <dt>Reached at</dt>
            <dd>{reach}</dd>
          </>
        )}
        {defaults.length > 0 && (
          <>
            <dt>Defaults</dt>
            <dd>{defaults.join(', ')}</dd>
          </>
        )}
        {site.workDir && (
          <>
            <dt>Work directory</dt>
            <dd>{site.workDir}</dd>
          </>
        )}
        {(site.secretsSet?.length ?? 0) > 0 && (
          <>
            <dt>Secrets stored</dt>
            <dd>{site.secretsSet?.join(', ')}</dd>
          </>
        )}
      </dl>
      {!site.builtIn && (
        <button
          type="button"
          disabled={toggle.busy}
          onClick={() =>
            void toggle
              .run(() => client.sites.update(site.name, { enabled: !site.enabled }))
              .then((done) => {
                if (done) onChanged();
              })
          }
        >
          {site.enabled ? `Disable ${site.name}` : `Enable ${site.name}`}
        </button>
      )}
      <ErrorMessage error={toggle.error} />
    </article>
  );
}

/** `900` → `15 min`, `7200` → `2 h`. */
function seconds(value: number): string {
  if (value % 3600 === 0) return `${value / 3600} h`;
  if (value % 60 === 0) return `${value / 60} min`;
  return `${value} s`;
}
