// A kustomization.yaml (kustomize.config.k8s.io/v1beta1), written by hand
// and minimal: the fields a base like k8s/base may use. Anything else is an
// excess property and fails the check.
export interface Kustomization {
  apiVersion?: "kustomize.config.k8s.io/v1beta1";
  kind?: "Kustomization";
  resources?: string[];
  components?: string[];
  namespace?: string;
  namePrefix?: string;
  nameSuffix?: string;
  labels?: Array<{
    pairs: { [name: string]: string };
    includeSelectors?: boolean;
    includeTemplates?: boolean;
  }>;
  commonAnnotations?: { [name: string]: string };
  images?: Array<{ name: string; newName?: string; newTag?: string; digest?: string }>;
  replicas?: Array<{ name: string; count: number }>;
  patches?: Array<{
    path?: string;
    patch?: string;
    target?: { group?: string; version?: string; kind?: string; name?: string };
  }>;
}
