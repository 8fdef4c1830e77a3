package example;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.ConfigurableJWTProcessor;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Verifies a Latchkey access token as an API (resource server) does, RFC 9068 §4: the signature against the
 * issuer's JWKS, typ at+jwt, iss, aud and exp. Reads the token on stdin and prints its claims as one JSON line.
 */
public final class VerifyToken {
  /** Made once: the key source caches the JWKS and fetches it again when a token names an unknown kid. */
  static ConfigurableJWTProcessor<SecurityContext> processor(String issuer, String audience) throws Exception {
    JWKSource<SecurityContext> keys =
        JWKSourceBuilder.create(URI.create(issuer + "/.well-known/jwks.json").toURL()).build();
    DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(new JOSEObjectType("at+jwt")));
    // The signingAlgorithm of the ResourceServers whose tokens this API accepts (EdDSA needs Tink on the classpath).
    processor.setJWSKeySelector(
        new JWSVerificationKeySelector<>(Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256), keys));
    processor.setJWTClaimsSetVerifier(
        new DefaultJWTClaimsVerifier<>(
            audience, // the API's identifier: spec.identifier of its ResourceServer
            new JWTClaimsSet.Builder().issuer(issuer).build(),
            Set.of("sub", "client_id", "iat", "exp", "jti")));
    return processor;
  }

  public static void main(String[] args) throws Exception {
    String token = new String(System.in.readAllBytes(), StandardCharsets.UTF_8).trim();
    JWTClaimsSet claims;
    try {
      claims =
          processor(System.getenv("LATCHKEY_ISSUER"), System.getenv("LATCHKEY_AUDIENCE")).process(token, null);
    } catch (Exception e) {
      System.err.println("token rejected: " + e.getMessage());
      System.exit(1);
      return;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("sub", claims.getSubject());
    out.put("client_id", claims.getStringClaim("client_id"));
    out.put("scope", claims.getStringClaim("scope"));
    out.put("aud", claims.getAudience().get(0));
    System.out.println(JSONObjectUtils.toJSONString(out));
  }
}
