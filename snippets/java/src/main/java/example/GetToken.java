package example;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.oauth2.sdk.ClientCredentialsGrant;
import com.nimbusds.oauth2.sdk.ErrorObject;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.token.AccessToken;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** Gets an access token from Latchkey with the client credentials of a mounted Secret. */
public final class GetToken {
  private static final Path DIR =
      Path.of(Objects.requireNonNullElse(System.getenv("LATCHKEY_SECRET_DIR"), "/var/run/secrets/latchkey"));

  // Read the files each time: kubelet updates them when the Secret is rotated.
  private static String read(String key) throws IOException {
    return Files.readString(DIR.resolve(key)).strip();
  }

  public static void main(String[] args) throws Exception {
    var auth = new ClientSecretBasic(new ClientID(read("client_id")), new Secret(read("client_secret")));
    var request = new TokenRequest.Builder(URI.create(read("token_endpoint")), auth, new ClientCredentialsGrant());
    String audience = System.getenv("LATCHKEY_AUDIENCE");
    if (audience != null && !audience.isEmpty()) {
      request.customParameter("audience", audience);
    }

    TokenResponse response = TokenResponse.parse(request.build().toHTTPRequest().send());
    if (!response.indicatesSuccess()) {
      ErrorObject error = response.toErrorResponse().getErrorObject();
      System.err.println("token request failed: " + error.getCode() + ": " + error.getDescription());
      System.exit(1);
    }
    AccessToken token = response.toSuccessResponse().getTokens().getAccessToken();

    // Only to show which API the token is for: resource servers verify it against the JWKS.
    Object aud = JWSObject.parse(token.getValue()).getPayload().toJSONObject().get("aud");
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("token_type", token.getType().getValue());
    out.put("expires_in", token.getLifetime());
    out.put("scope", token.getScope() == null ? null : token.getScope().toString());
    out.put("aud", aud);
    System.out.println(JSONObjectUtils.toJSONString(out));
  }
}
