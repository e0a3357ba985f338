// A ConfigMap the runner keeps by name in the set's namespace (the ledger cache, the claim): its reference and how it is named.
export class NamedConfigMap {
  readonly where: string;

  constructor(
    readonly namespace: string,
    readonly name: string,
  ) {
    this.where = `ConfigMap ${namespace}/${name}`;
  }

  protected ref() {
    return { apiVersion: 'v1', kind: 'ConfigMap', namespace: this.namespace, name: this.name };
  }
}
