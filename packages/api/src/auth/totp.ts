import * as OTPAuth from "otpauth";

export function newTotpSecret(): string {
  return new OTPAuth.Secret({ size: 20 }).base32;
}

function totpFor(secretBase32: string, email: string) {
  return new OTPAuth.TOTP({
    issuer: "dbmesh",
    label: email,
    algorithm: "SHA1",
    digits: 6,
    period: 30,
    secret: OTPAuth.Secret.fromBase32(secretBase32),
  });
}

export function totpUri(secretBase32: string, email: string): string {
  return totpFor(secretBase32, email).toString();
}

/** Accepts the current code and one step either side, for clock drift. */
export function verifyTotp(secretBase32: string, email: string, code: string): boolean {
  if (!/^\d{6}$/.test(code)) return false;
  return totpFor(secretBase32, email).validate({ token: code, window: 1 }) !== null;
}

export function currentTotp(secretBase32: string, email: string): string {
  return totpFor(secretBase32, email).generate();
}
