export const LOAD_BALANCE_LABEL: Record<string, string> = {
  round_robin: "round robin",
  random: "random",
  least_connections: "least connections",
  weighted: "weighted",
};
