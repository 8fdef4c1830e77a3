package example;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.claims.IDTokenClaimsSet;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.nimbusds.openid.connect.sdk.rp.OIDCClientInformation;
import com.nimbusds.openid.connect.sdk.rp.OIDCClientMetadata;
import com.nimbusds.openid.connect.sdk.validators.AccessTokenValidator;
import com.nimbusds.openid.connect.sdk.validators.IDTokenValidator;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.minidev.json.JSONObject;

/**
 * Verifies Latchkey's ID tokens as a Java relying party does with Nimbus (issue 12): the provider's metadata
 * resolved from the issuer, and IDTokenValidator.create for a client registered with the defaults (ID tokens
 * signed RS256), which checks the signature against the JWKS, iss, aud, azp, exp, iat and the nonce; then
 * AccessTokenValidator checks at_hash. Arguments: the issuer and the client id. Reads one JSON object per line on
 * stdin, {"id_token": ..., "access_token": ..., "nonce": ...} (the last two optional), and prints one JSON line
 * per object. Not a guide's snippet: test/snippets/openid-java.test.ts runs it.
 */
public final class VerifyIdToken {
  static Map<String, Object> check(IDTokenValidator validator, Map<String, Object> in) {
    Map<String, Object> out = new LinkedHashMap<>();
    try {
      var idToken = JWTParser.parse((String) in.get("id_token"));
      String nonce = (String) in.get("nonce");
      IDTokenClaimsSet claims = validator.validate(idToken, nonce == null ? null : new Nonce(nonce));
      out.put("verified", true);
      out.put("sub", claims.getSubject().getValue());
      out.put("sid", claims.getSessionID() == null ? null : claims.getSessionID().getValue());
      out.put("nonce", claims.getNonce() == null ? null : claims.getNonce().getValue());
      List<String> amr = new ArrayList<>();
      if (claims.getAMR() != null) claims.getAMR().forEach(a -> amr.add(a.getValue()));
      out.put("amr", amr);
      String accessToken = (String) in.get("access_token");
      if (accessToken != null) {
        try {
          AccessTokenValidator.validate(
              new BearerAccessToken(accessToken),
              (JWSAlgorithm) idToken.getHeader().getAlgorithm(),
              claims.getAccessTokenHash());
          out.put("access_token", "verified");
        } catch (Exception e) {
          out.put("access_token", e.getMessage());
        }
      }
    } catch (Exception e) {
      out.put("verified", false);
      out.put("error", e.getMessage());
    }
    return out;
  }

  public static void main(String[] args) throws Exception {
    IDTokenValidator validator;
    try {
      OIDCProviderMetadata provider = OIDCProviderMetadata.resolve(new Issuer(args[0]));
      OIDCClientMetadata client = new OIDCClientMetadata();
      client.applyDefaults();
      validator =
          IDTokenValidator.create(provider, new OIDCClientInformation(new ClientID(args[1]), null, client, null));
    } catch (Exception e) {
      System.err.println("metadata refused: " + e.getMessage());
      System.exit(1);
      return;
    }
    BufferedReader lines = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = lines.readLine(); line != null; line = lines.readLine()) {
      if (line.isBlank()) continue;
      System.out.println(new JSONObject(check(validator, JSONObjectUtils.parse(line))).toJSONString());
    }
  }
}
