-- Argo CD health check for Latchkey's kinds (group latchkey.dev): ResourceServer, Role, OAuthClient,
-- Organization and Connection all report through the Ready condition, so the five scripts are the same.
-- What each state means and why: docs/argocd.md. Uses Lua's base library only, so it needs no useOpenLibs.

-- Ready=False reasons that mean waiting for something that will happen without anyone acting, not a fault.
-- SecretMissing: the Secret is not written yet, by the operator (source: Generate) or by whoever writes it
-- (source: Existing, e.g. External Secrets). Every other reason needs someone to act: Degraded.
local waitingReasons = {
  SecretMissing = true,
}

local hs = {}
local generation = obj.metadata.generation

local function waitingForOperator()
  hs.status = "Progressing"
  if generation ~= nil then
    hs.message = "Waiting for the operator to observe generation " .. generation
  else
    hs.message = "Waiting for the operator to report status"
  end
  return hs
end

-- A status older than the spec describes a spec that no longer exists (Kubernetes API conventions).
local function stale(observed)
  return generation ~= nil and observed ~= nil and observed < generation
end

local status = obj.status
if status == nil or stale(status.observedGeneration) then
  return waitingForOperator()
end

local ready = nil
if status.conditions ~= nil then
  for _, condition in ipairs(status.conditions) do
    if condition.type == "Ready" then
      ready = condition
    end
  end
end
if ready == nil or stale(ready.observedGeneration) then
  return waitingForOperator()
end

local message = ready.message
if message == nil or message == "" then
  message = ready.reason
end
hs.message = message

if ready.status == "True" then
  hs.status = "Healthy"
elseif ready.status == "False" and not (ready.reason ~= nil and waitingReasons[ready.reason]) then
  hs.status = "Degraded"
else
  -- A reason that means waiting, or Unknown: not decided yet (a Connection whose issuer was not contacted).
  hs.status = "Progressing"
end
return hs
