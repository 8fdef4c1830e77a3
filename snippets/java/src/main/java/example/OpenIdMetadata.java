package example;

import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.minidev.json.JSONObject;

/**
 * Reads Latchkey's OpenID discovery document with Nimbus's OIDCProviderMetadata (issue 12), as a Java relying
 * party does: with an issuer argument, resolve() fetches it from the issuer and checks that the document names
 * that issuer; without one, parse() reads the document on stdin. Prints what Nimbus parsed as one JSON line, so a
 * test compares Nimbus's reading with the served URLs. Not a guide's snippet: test/snippets/openid-java.test.ts
 * runs it.
 */
public final class OpenIdMetadata {
  static Map<String, Object> parsed(OIDCProviderMetadata m) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("issuer", m.getIssuer().getValue());
    out.put("authorization_endpoint", text(m.getAuthorizationEndpointURI()));
    out.put("token_endpoint", text(m.getTokenEndpointURI()));
    out.put("userinfo_endpoint", text(m.getUserInfoEndpointURI()));
    out.put("jwks_uri", text(m.getJWKSetURI()));
    out.put("end_session_endpoint", text(m.getEndSessionEndpointURI()));
    out.put("pushed_authorization_request_endpoint", text(m.getPushedAuthorizationRequestEndpointURI()));
    out.put("introspection_endpoint", text(m.getIntrospectionEndpointURI()));
    out.put("revocation_endpoint", text(m.getRevocationEndpointURI()));
    out.put("subject_types_supported", strings(m.getSubjectTypes()));
    out.put("id_token_signing_alg_values_supported", strings(m.getIDTokenJWSAlgs()));
    out.put("response_types_supported", strings(m.getResponseTypes()));
    out.put("response_modes_supported", strings(m.getResponseModes()));
    out.put("prompt_values_supported", strings(m.getPromptTypes()));
    out.put("claims_supported", m.getClaims());
    out.put("grant_types_supported", strings(m.getGrantTypes()));
    out.put("code_challenge_methods_supported", strings(m.getCodeChallengeMethods()));
    out.put("token_endpoint_auth_methods_supported", strings(m.getTokenEndpointAuthMethods()));
    out.put("scopes_supported", m.getScopes() == null ? null : m.getScopes().toStringList());
    out.put("authorization_response_iss_parameter_supported", m.supportsAuthorizationResponseIssuerParam());
    out.put("require_pushed_authorization_requests", m.requiresPushedAuthorizationRequests());
    // Members Nimbus does not know: a misspelt standard member would land here instead of being understood.
    JSONObject custom = m.getCustomParameters();
    out.put("unrecognized", custom == null ? List.of() : new ArrayList<>(custom.keySet()));
    return out;
  }

  static String text(URI uri) {
    return uri == null ? null : uri.toString();
  }

  static List<String> strings(List<?> values) {
    if (values == null) return null;
    List<String> out = new ArrayList<>();
    for (Object v : values) out.add(v.toString());
    return out;
  }

  public static void main(String[] args) throws Exception {
    OIDCProviderMetadata metadata;
    try {
      metadata =
          args.length > 0
              ? OIDCProviderMetadata.resolve(new Issuer(args[0]))
              : OIDCProviderMetadata.parse(new String(System.in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (Exception e) {
      System.err.println("metadata refused: " + e.getMessage());
      System.exit(1);
      return;
    }
    System.out.println(new JSONObject(parsed(metadata)).toJSONString());
  }
}
