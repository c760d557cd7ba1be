// Pairing: trading the desktop's one-time code for this device's token, kept in localStorage.

const KEYS = { token: "aura.companion.token", device: "aura.companion.device" };

export const token = () => localStorage.getItem(KEYS.token);
export const deviceName = () => localStorage.getItem(KEYS.device) || guessDeviceName();

export function forget() {
  localStorage.removeItem(KEYS.token);
}

/// Asks the desktop for a token; throws an Error whose message says what went wrong.
export async function pair(code, name) {
  let response;
  try {
    response = await fetch("/pair", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code: code.trim().toUpperCase(), device_name: name.trim() }),
    });
  } catch (e) {
    throw new Error(`The desktop could not be reached: ${e.message}`);
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || `The desktop refused the code (${response.status}).`);
  localStorage.setItem(KEYS.token, answer.token);
  localStorage.setItem(KEYS.device, name.trim());
}

export function guessDeviceName() {
  const agent = navigator.userAgent;
  const known = ["iPhone", "iPad", "Pixel", "Android", "Linux", "Mac", "Windows"].find((n) => agent.includes(n));
  return known ? `${known} browser` : "Phone";
}
