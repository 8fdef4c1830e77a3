/**
 * Every word the hosted pages show, in one place, so a translation is one more object of this shape. Texts are
 * plain strings or functions of plain strings; the pages escape them when they render (html.ts), so a text
 * never holds markup and a translator cannot break a page.
 */
export interface Texts {
  /** The page's `lang` attribute (BCP 47). */
  lang: string;
  product: string;
  skipToContent: string;
  footer: string;

  errorTitle: string;
  errorGeneric: string;
  errorBadRequest: string;
  errorNotFound: string;
  errorRequestExpired: string;
  errorRequestExpiredMessage: string;
  errorForbidden: string;
  errorCsrf: string;
  errorStateMismatch: string;
  errorStateMismatchMessage: string;
  errorUpstream: (connection: string) => string;
  errorUpstreamMessage: (connection: string, said: string) => string;
  errorUnavailable: string;
  errorUnavailableMessage: string;
  errorNoConnections: string;
  errorNoConnectionsMessage: (client: string) => string;
  errorUnknownConnection: string;
  errorSignInRefused: string;
  startOver: string;
  refusedSeveralMatches: (what: string) => string;
  refusedInUse: (what: string) => string;
  refusedLinkChanged: string;
  matchEmail: string;
  matchUsername: string;

  loginTitle: string;
  loginHeading: (client: string) => string;
  loginChoose: string;
  continueWith: (connection: string) => string;
  continueToUpstream: (connection: string) => string;
  username: string;
  password: string;
  signIn: string;
  wrongPassword: string;
  tooManyAttempts: string;
  tooManyAttemptsMessage: (minutes: number) => string;
  tooManyPending: string;
  tooManyPendingMessage: (minutes: number) => string;

  linkTitle: string;
  linkIntro: (email: string, connection: string) => string;
  linkExplain: string;
  linkConfirm: string;
  linkCancel: string;

  organizationTitle: string;
  organizationHeading: string;
  organizationIntro: (client: string) => string;
  organizationCancel: string;
  consentTitle: string;
  consentHeading: (client: string) => string;
  consentIntro: (client: string) => string;
  consentScopes: string;
  consentAllow: string;
  consentDeny: string;
  scopeOpenid: string;
  scopeProfile: string;
  scopeEmail: string;
  scopeOfflineAccess: string;
  scopeOnApi: (scope: string, api: string) => string;

  signedOutTitle: string;
  signedOutMessage: string;

  deviceTitle: string;
  deviceIntro: string;
  deviceCodeLabel: string;
  deviceCodeHint: string;
  deviceContinue: string;
  deviceCodeMalformed: string;
  deviceCodeUnknown: string;
  deviceConfirmTitle: string;
  deviceConfirmHeading: (client: string) => string;
  deviceConfirmCode: string;
  deviceConfirmWarning: string;
  deviceConfirmIntro: (client: string) => string;
  deviceConfirmAllow: string;
  deviceConfirmDeny: string;
  deviceApprovedTitle: string;
  deviceApprovedMessage: (client: string) => string;
  deviceDeniedTitle: string;
  deviceDeniedMessage: string;
  deviceExpiredTitle: string;
  deviceExpiredMessage: string;
}

/** English, the default. */
export const en: Texts = {
  lang: 'en',
  product: 'Latchkey',
  skipToContent: 'Skip to content',
  footer: 'Signing in through Latchkey',

  errorTitle: 'Something went wrong',
  errorGeneric: 'The sign-in could not be completed. Go back to the application and start again.',
  errorBadRequest: 'This page was opened with a request it cannot read.',
  errorNotFound: 'There is nothing at this address.',
  errorRequestExpired: 'This sign-in has expired',
  errorRequestExpiredMessage:
    'The sign-in took too long or was already finished. Go back to the application and start again.',
  errorForbidden: 'This form cannot be accepted',
  errorCsrf:
    'The form was not sent from this browser’s sign-in page, or it was sent twice. Go back to the application and start again.',
  errorStateMismatch: 'This sign-in does not match',
  errorStateMismatchMessage:
    'The answer from the identity provider does not belong to a sign-in started in this browser, or it came too late. Go back to the application and start again.',
  errorUpstream: (connection) => `${connection} did not sign you in`,
  errorUpstreamMessage: (connection, said) => `${connection} said: ${said}`,
  errorUnavailable: 'Sign-in is unavailable for a moment',
  errorUnavailableMessage: 'The server cannot complete the sign-in right now. Try again in a few seconds.',
  errorNoConnections: 'No way to sign in',
  errorNoConnectionsMessage: (client) =>
    `${client} offers no way to sign in yet. Ask the people who run it to add a Connection.`,
  errorUnknownConnection: 'That way of signing in is not offered for this application.',
  errorSignInRefused: 'Sign-in refused',
  startOver: 'Go back to the application and start again.',
  refusedSeveralMatches: (what) =>
    `More than one account has this ${what}, so the sign-in cannot choose one. Ask the people who run this service to merge or remove the duplicates.`,
  refusedInUse: (what) =>
    `Another account already has this ${what}. Sign in the way you signed in before, or ask the people who run this service for help.`,
  refusedLinkChanged:
    'The account to link to changed while you were confirming. Go back to the application and start again.',
  matchEmail: 'email address',
  matchUsername: 'username',

  loginTitle: 'Sign in',
  loginHeading: (client) => `Sign in to ${client}`,
  loginChoose: 'Choose how to sign in',
  continueWith: (connection) => `Continue with ${connection}`,
  continueToUpstream: (connection) => `Continue to ${connection}`,
  username: 'Username',
  password: 'Password',
  signIn: 'Sign in',
  wrongPassword: 'The username or password is not right.',
  tooManyAttempts: 'Too many failed sign-ins',
  tooManyAttemptsMessage: (minutes) =>
    `Signing in has failed too often. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
  tooManyPending: 'Too many sign-ins in progress',
  tooManyPendingMessage: (minutes) =>
    `Too many sign-ins are in progress from your network. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,

  linkTitle: 'Link your sign-in to an existing account',
  linkIntro: (email, connection) =>
    `An account with the email ${email} already exists. Do you want to sign in to it with ${connection} from now on?`,
  linkExplain:
    'Linking lets both ways of signing in reach the same account. Cancel if the existing account is not yours.',
  linkConfirm: 'Link to the existing account',
  linkCancel: 'Cancel sign-in',

  organizationTitle: 'Choose an organization',
  organizationHeading: 'Choose an organization',
  organizationIntro: (client) =>
    `You are a member of several organizations that use ${client}. Which one do you want to sign in to?`,
  organizationCancel: 'Cancel sign-in',

  consentTitle: 'Allow access',
  consentHeading: (client) => `${client} wants access to your account`,
  consentIntro: (client) => `If you allow it, ${client} will be able to:`,
  consentScopes: 'What it asks for',
  consentAllow: 'Allow',
  consentDeny: 'Deny',
  scopeOpenid: 'Know who you are',
  scopeProfile: 'See your name and username',
  scopeEmail: 'See your email address',
  scopeOfflineAccess: 'Keep access while you are not using it',
  scopeOnApi: (scope, api) => `${scope} (${api})`,

  signedOutTitle: 'You are signed out',
  signedOutMessage: 'You have signed out. You can close this window.',

  deviceTitle: 'Sign in on a device',
  deviceIntro: 'Enter the code your device shows to sign it in.',
  deviceCodeLabel: 'Code from your device',
  deviceCodeHint: 'Eight letters, such as BCDF-GHJK. Dashes and spaces do not matter.',
  deviceContinue: 'Continue',
  deviceCodeMalformed: 'That is not a device code: it has eight letters, such as BCDF-GHJK.',
  deviceCodeUnknown:
    'That code is not known, was already used or has expired. Check the code your device shows, or start again on the device.',
  deviceConfirmTitle: 'Confirm the device sign-in',
  deviceConfirmHeading: (client) => `Sign in to ${client} on your device?`,
  deviceConfirmCode: 'Your device must show this code:',
  deviceConfirmWarning:
    'Only confirm if you started this sign-in yourself, on a device in front of you that shows this code. If someone sent you this link or this code, deny.',
  deviceConfirmIntro: (client) => `If you confirm, ${client} on that device will be able to:`,
  deviceConfirmAllow: 'Confirm and sign in the device',
  deviceConfirmDeny: 'Deny',
  deviceApprovedTitle: 'Your device is signed in',
  deviceApprovedMessage: (client) =>
    `${client} on your device is signed in. You can close this window and go back to the device.`,
  deviceDeniedTitle: 'Device sign-in denied',
  deviceDeniedMessage: 'The device was not signed in. You can close this window.',
  deviceExpiredTitle: 'This device sign-in has expired',
  deviceExpiredMessage:
    'The code is no longer valid: it expired or was already answered. Start the sign-in again on your device.',
};

/** The texts for a request; one language today, chosen here when there are more. */
export function textsFor(_acceptLanguage?: string): Texts {
  return en;
}
