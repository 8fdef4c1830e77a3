import type { ClientOrganization, CompiledClient, Grant as ApiGrant } from '../../store/snapshot.ts';
import { accessTokenClaims } from '../claims.ts';
import { nonEmpty } from '../client-auth.ts';
import { InvalidRequest, InvalidScope, InvalidTarget, ServerError, quote } from '../errors.ts';
import { FailureCause } from '../failure-causes.ts';
import { newJti } from '../jti.ts';
import { signAccessToken } from '../jwt-sign.ts';
import type { Grant, GrantContext, Issued } from './grant.ts';
import {
  audienceRequiredDetail,
  scopeRefusalDetail,
  targetRefusalDetail,
  type TargetContext,
} from './target-detail.ts';

const ORGANIZATION = { failure: FailureCause.Organization } as const;

/**
 * `grant_type=client_credentials` (RFC 6749 §4.4): a client gets a token for itself, for one API chosen with
 * `audience` or `resource` (RFC 8707), optionally acting for an organization that lists it.
 */
export const clientCredentials: Grant = {
  type: 'client_credentials',
  parameters: new Set(['scope', 'audience', 'organization']),
  clientAuthentication: 'required',
  handler: issueAccessToken,
};

/**
 * Issues an RFC 9068 access token to `ctx.client` with its own permissions (or those it has in the requested
 * organization), for the API that `audience`/`resource` select, narrowed by `scope`. Every grant that ends
 * in a token for a client issues it here, so targets and scopes mean the same whatever the grant.
 */
export async function issueAccessToken(ctx: GrantContext): Promise<Issued> {
  const membership = organizationOf(ctx.client, ctx.params.organization);
  const permissions = membership?.permissions ?? ctx.client.permissions;
  const who =
    membership === undefined
      ? undefined
      : `this client in organization ${quote(membership.organization.name)}`;
  const grant = targetOf(permissions, ctx.params.audience, ctx.resources, { apis: ctx.snapshot.apis, who });
  const scopes = scopesOf(grant, ctx.params.scope, who);
  const key = ctx.snapshot.keys.active.get(grant.api.algorithm);
  if (key === undefined) {
    throw new ServerError(`no active signing key for ${grant.api.algorithm}`, {
      failure: FailureCause.NoSigningKey,
    });
  }

  const claims = accessTokenClaims(
    {
      issuer: ctx.issuer,
      clientId: ctx.client.clientId,
      api: grant.api,
      scopes,
      organization: membership?.organization,
      jti: newJti(),
    },
    ctx.now(),
  );
  const accessToken = await signAccessToken(key, claims);
  return {
    response: {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: grant.api.lifetimeSeconds,
      ...(claims.scope === undefined ? {} : { scope: claims.scope }),
    },
    audience: grant.api.identifier,
    algorithm: grant.api.algorithm,
    organizationId: membership?.organization.id,
  };
}

/** The organization the client acts for, by id or by name among those listing it. */
export function organizationOf(
  client: CompiledClient,
  requested: string | undefined,
): ClientOrganization | undefined {
  const wanted = nonEmpty(requested);
  if (wanted === undefined) {
    if (client.organizationUsage === 'require') {
      throw new InvalidRequest(
        'organization is required: this client gets tokens only for an organization',
        ORGANIZATION,
      );
    }
    return undefined;
  }
  if (client.organizationUsage === 'deny') {
    throw new InvalidRequest('this client may not act for an organization: omit organization', ORGANIZATION);
  }
  const byId = client.organizations.get(wanted);
  if (byId !== undefined) return byId;
  let found: ClientOrganization | undefined;
  for (const membership of client.organizations.values()) {
    if (membership.organization.name !== wanted) continue;
    if (found !== undefined) {
      throw new InvalidRequest(
        `organization name ${quote(wanted)} matches several organizations of this client: send its id`,
        ORGANIZATION,
      );
    }
    found = membership;
  }
  if (found === undefined) {
    throw new InvalidRequest(
      `organization ${quote(wanted)} does not exist or does not list this client`,
      ORGANIZATION,
    );
  }
  return found;
}

/** The API the token is for: `audience` or `resource`, else the only API the client can reach. */
export function targetOf(
  permissions: ReadonlyMap<string, ApiGrant>,
  audienceParam: string | undefined,
  resourceParams: readonly string[],
  context: TargetContext = {},
): ApiGrant {
  let resource: string | undefined;
  for (const r of resourceParams) {
    if (r.length === 0) continue;
    if (resource !== undefined && r !== resource) {
      throw new InvalidTarget('only one resource may be requested per token');
    }
    resource = r;
  }
  const audience = nonEmpty(audienceParam);
  if (audience !== undefined && resource !== undefined && audience !== resource) {
    throw new InvalidTarget('audience and resource name different APIs: send one of them');
  }
  const requested = audience ?? resource;
  if (requested === undefined) {
    if (permissions.size === 1) return permissions.values().next().value as ApiGrant;
    throw new InvalidRequest(
      permissions.size === 0
        ? 'audience is required (or resource), but this client is not granted any API'
        : 'audience is required (or resource): this client is granted several APIs',
      { failure: FailureCause.AudienceRequired, detail: audienceRequiredDetail(permissions, context.who) },
    );
  }
  const grant = permissions.get(requested);
  if (grant === undefined) {
    const parameter = audience !== undefined ? 'audience' : 'resource';
    throw new InvalidTarget(`${parameter} ${quote(requested)} is unknown or not granted to this client`, {
      detail: targetRefusalDetail(parameter, requested, permissions, context),
    });
  }
  return grant;
}

/** The scopes the token carries, in the API's declaration order. */
export function scopesOf(grant: ApiGrant, scopeParam: string | undefined, who?: string): readonly string[] {
  if (scopeParam === undefined) return grant.scopes;
  const requested = new Set(scopeParam.split(' '));
  requested.delete('');
  if (requested.size === 0) {
    // Deliberately stricter than RFC 6749 §3.2: an empty scope is more likely a bug than a wish for everything.
    throw new InvalidRequest('scope is empty: omit scope to request every granted scope');
  }
  const missing: string[] = [];
  for (const s of requested) if (!grant.scopeSet.has(s)) missing.push(s);
  if (missing.length > 0) {
    throw new InvalidScope(`scope not granted for this API: ${missing.slice(0, 10).map(quote).join(', ')}`, {
      detail: scopeRefusalDetail(grant, missing, who),
    });
  }
  if (requested.size === grant.scopes.length) return grant.scopes;
  return grant.scopes.filter((s) => requested.has(s));
}
