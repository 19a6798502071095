import { Alert } from "@/components/alert";

/** How the agent picks among matching rules (see @dbmesh/mesh access-rule-order). */
export function PrecedenceNote() {
  return (
    <Alert tone="info" className="mb-4">
      When several rules match a statement, the most specific wins: explicit credential before all; exact table before
      wildcard; deny before allow on ties.
    </Alert>
  );
}
