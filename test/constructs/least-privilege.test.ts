// Least privilege, derived independently from each values file's components: one account per operation, only its rights, only its Secrets.
import { describe, expect, it } from 'vitest';
import { pluralize, apiGroupOf } from '../../src/constructs/rbac-rules.js';
import type { Values } from '../../src/values/schema.js';
import { exampleValues, objectsOf, podTemplates, synth, type Obj } from './_fixtures.js';

type Op = 'backup' | 'drill' | 'restore' | 'drop-database' | 'maintenance' | 'verify';
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];

/** Each example as written, and with every operation switched on (so that a right leaking between accounts would show). */
function variants(): Array<{ name: string; values: Values }> {
  return exampleValues().flatMap(({ file, values }) => {
    const db = values.components.find((c) => c.type === 'postgres' || c.type === 'mysql' || c.type === 'cockroachdb') as
      { name: string; database: string } | undefined;
    // A second database with its own login: the drop pod must not mount it (the examples have at most one).
    const other = {
      name: 'other-db',
      type: 'postgres',
      host: 'other',
      port: 5432,
      database: 'other',
      credentials: { secretName: 'other-db-login', usernameKey: 'username', passwordKey: 'password' },
    };
    const all: Values = {
      ...values,
      components: [...values.components, other as unknown as Values['components'][number]],
      drill: values.drill ?? { schedule: '0 5 * * 0', timeout: '2h', targets: {}, checks: [] },
      restore: values.restore ?? { snapshot: 'latest', dropExisting: false, owners: 'keep', timeout: '2h' },
      dropDatabase: values.dropDatabase ?? (db ? { component: db.name, confirm: db.database } : undefined),
    };
    return [
      { name: file, values },
      { name: `${file} + every operation`, values: all },
    ];
  });
}

/** "ns group resource verb [name]" for every right a set of rules grants. */
function rights(rules: Obj[], ns: string): string[] {
  return rules
    .flatMap((r) => r.verbs.flatMap((verb: string) => (r.resourceNames ?? ['*']).map((n: string) => `${ns} ${r.apiGroups[0]}/${r.resources[0]} ${verb} ${n}`)))
    .sort();
}

/** What an operation needs, derived from the components and hooks without the code under test. */
function expectedRights(v: Values, op: Op): string[] {
  const out = new Set<string>();
  const add = (ns: string, group: string, resource: string, verbs: string[], names?: readonly string[]) => {
    for (const verb of verbs) for (const n of names?.length ? names : ['*']) out.add(`${ns} ${group}/${resource} ${verb} ${n}`);
  };
  const restoring = (name: string) => op === 'restore' && (!v.restore?.components || v.restore.components.includes(name));
  for (const c of v.components) {
    if (c.type !== 'kubernetes' || !(op === 'backup' || op === 'drill' || restoring(c.name))) continue;
    const ns = c.namespace ?? v.namespace;
    for (const r of c.resources) {
      const res = r.plural ?? pluralize(r.kind);
      const names = r.labelSelector ? undefined : r.names;
      add(ns, apiGroupOf(r.apiVersion), res, names?.length ? ['get'] : ['get', 'list'], names);
      if (op !== 'backup') add(ns, apiGroupOf(r.apiVersion), res, ['create']);
      if (op === 'restore' && c.existing === 'replace') add(ns, apiGroupOf(r.apiVersion), res, ['patch'], names);
    }
    if (op === 'restore')
      for (const a of c.requireAbsent)
        add(ns, apiGroupOf(a.apiVersion), a.plural ?? pluralize(a.kind), a.name ? ['get'] : ['get', 'list'], a.name ? [a.name] : undefined);
  }
  const hooks =
    op === 'backup'
      ? [...v.hooks.preBackup, ...v.hooks.postBackup]
      : op === 'restore'
        ? [...v.hooks.preRestore, ...v.hooks.postRestore]
        : op === 'drill'
          ? (v.drill?.checks ?? []).flatMap((c) => ('hook' in c ? [c.hook] : []))
          : [];
  for (const h of hooks) {
    if (h.type !== 'exec') continue;
    const ns = h.namespace ?? v.namespace;
    add(ns, '', 'pods', h.pod ? ['get'] : ['get', 'list'], h.pod ? [h.pod] : undefined);
    add(ns, '', 'pods/exec', ['get', 'create'], h.pod ? [h.pod] : undefined);
  }
  if (op === 'restore' && v.restore?.rolloutRestart)
    for (const r of ['deployments', 'statefulsets']) add(v.restore.rolloutRestart.namespace ?? v.namespace, 'apps', r, ['get', 'list', 'patch']);
  const prefix = `${v.name}${v.instance ? `-${v.instance}` : ''}`;
  const [claim, dropStep, ledger] = [`${prefix}-safehold-claim`, `${prefix}-safehold-claim-drop`, `${prefix}-safehold-ledger`];
  if (op === 'restore') {
    // The request Role: the restore claims, gives the drop its go-ahead, takes the drop step back, records and releases.
    add(v.namespace, '', 'configmaps', ['create']);
    add(v.namespace, '', 'configmaps', ['get', 'update', 'patch', 'delete'], [claim, dropStep, ledger]);
  }
  if (op === 'drop-database') {
    // The drop reads the claim's go-ahead, creates the drop step, reports in it: nothing else (no ledger, no delete).
    add(v.namespace, '', 'configmaps', ['create']);
    add(v.namespace, '', 'configmaps', ['get'], [claim, dropStep]);
    add(v.namespace, '', 'configmaps', ['update'], [dropStep]);
  }
  // A by-name right is implied by the same verb on every object.
  return [...out].filter((r) => (!r.endsWith(' *') ? !out.has(r.replace(/ [^ ]+$/, ' *')) : true)).sort();
}

const OP_OF_COMPONENT: Record<string, Op> = {
  backup: 'backup',
  drill: 'drill',
  restore: 'restore',
  'drop-database': 'drop-database',
  maintenance: 'maintenance',
  verify: 'verify',
};

function accountsOf(objects: Obj[]) {
  const roles = objectsOf(objects, 'Role');
  const bindings = objectsOf(objects, 'RoleBinding');
  return {
    /** Every right bound to a ServiceAccount, through its RoleBindings. */
    rightsOf(account: string): string[] {
      return bindings
        .filter((b) => b.subjects.some((s: Obj) => s.kind === 'ServiceAccount' && s.name === account))
        .flatMap((b) =>
          rights(roles.find((r) => r.metadata.name === b.roleRef.name && r.metadata.namespace === b.metadata.namespace)!.rules, b.metadata.namespace),
        )
        .sort();
    },
    bindings,
  };
}

function secretsMounted(template: Obj): string[] {
  return template.spec.volumes
    .filter((v: Obj) => v.secret)
    .map((v: Obj) => v.secret.secretName)
    .sort();
}

describe('least privilege, for every example in values/', () => {
  for (const { name, values: v } of variants()) {
    describe(name, () => {
      const objects = synth(v);
      const { rightsOf, bindings } = accountsOf(objects);
      const pods = podTemplates(objects).map(({ template }) => ({ template, op: OP_OF_COMPONENT[template.metadata.labels['app.kubernetes.io/component']] }));

      it('each operation runs as its own ServiceAccount, bound to exactly the rights its components and hooks need', () => {
        expect(new Set(pods.map((p) => p.template.spec.serviceAccountName)).size).toBe(pods.length);
        for (const { template, op } of pods) {
          const account = template.spec.serviceAccountName;
          expect(account, op).toMatch(new RegExp(`-safehold-${op === 'drop-database' ? 'drop' : op}$`));
          expect(rightsOf(account), `${name}: ${op}`).toEqual(expectedRights(v, op));
          // A token only where the account has a Role at all.
          expect(template.spec.automountServiceAccountToken, `${op} token`).toBe(rightsOf(account).length > 0);
        }
      });

      it('the backup account can create, patch, update or delete nothing', () => {
        const backup = pods.find((p) => p.op === 'backup')!.template.spec.serviceAccountName;
        expect(rightsOf(backup).filter((r) => WRITE.includes(r.split(' ')[2]))).toEqual([]);
      });

      it("the drill's rights end with the drill's Role: its account is bound to nothing else, and its Role to no one else", () => {
        const drill = pods.find((p) => p.op === 'drill');
        if (!drill) return;
        const account = drill.template.spec.serviceAccountName;
        for (const b of bindings) {
          const forDrill = b.subjects.some((s: Obj) => s.name === account);
          expect(forDrill, `${b.metadata.namespace}/${b.metadata.name}`).toBe(b.roleRef.name === account);
          if (b.roleRef.name === account) expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: account, namespace: v.namespace }]);
        }
      });

      // Issue 15: the drop drops on its restore's go-ahead and the restore records it: the drop pod holds no repository
      // Secret at all (no password, no S3 keys, no S3 CA), no other database's login, and no repository volume.
      it("the drop pod mounts exactly the dropped database's login and TLS Secrets: no repository Secret", () => {
        const drop = pods.find((p) => p.op === 'drop-database');
        if (!v.dropDatabase) return expect(drop).toBeUndefined();
        expect(drop, 'a drop Job for the dropDatabase request').toBeDefined();
        const r = v.repository;
        const mounted = secretsMounted(drop!.template);
        const c = v.components.find((x) => x.name === v.dropDatabase!.component) as {
          credentials: { secretName: string };
          tls?: { caCert?: { secretName: string }; clientCert?: { secretName: string } };
        };
        const repositorySecrets = [
          r.password.secretName,
          r.s3?.credentials?.secretName,
          r.s3?.caCert?.secretName,
          r.protection?.maintenance.credentials.secretName,
        ];
        const own = [c.credentials.secretName, c.tls?.caCert?.secretName, c.tls?.clientCert?.secretName];
        for (const s of repositorySecrets.filter((x): x is string => !!x && !own.includes(x))) expect(mounted, `${name}: ${s}`).not.toContain(s);
        expect(mounted).toEqual([...new Set(own.filter((x): x is string => !!x))].sort());
        expect(
          drop!.template.spec.volumes.some((x: Obj) => x.persistentVolumeClaim),
          'no repository volume',
        ).toBe(false);
        if (name.endsWith('every operation')) expect(mounted).not.toContain('other-db-login');
      });
    });
  }
});
