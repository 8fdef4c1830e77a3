/** Labels on everything Latchkey generates (Secrets); the operator watches its Secrets by them. */
export const MANAGED_LABELS = { 'app.kubernetes.io/managed-by': 'latchkey' } as const;

/** Names the OAuthClient a generated Secret belongs to. */
export const CLIENT_LABEL = 'latchkey.dev/oauthclient';
