// An API-extractor-like check of the package entry: every exported construct's props type (and every interface those
// props reach) is exported too, and every optional prop documents its default.
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const ENTRY = join(ROOT, 'src', 'library.ts');

function api() {
  const program = ts.createProgram([ENTRY], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const entry = checker.getSymbolAtLocation(program.getSourceFile(ENTRY)!)!;
  const exports = checker.getExportsOfModule(entry).map((s) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s));
  return { checker, exported: new Set(exports.map((s) => s.getName())), exports };
}

const isConstruct = (checker: ts.TypeChecker, t: ts.Type): boolean =>
  (t.getSymbol()?.getName() === 'Construct' && !!t.getSymbol()?.declarations?.some((d) => d.getSourceFile().fileName.includes('node_modules/constructs/'))) ||
  (t.isClassOrInterface() && checker.getBaseTypes(t).some((b) => isConstruct(checker, b)));

/** Our own interfaces a type reaches (through arrays and readonly arrays), declared under src/. */
function ownInterfaces(checker: ts.TypeChecker, t: ts.Type): ts.Type[] {
  if (checker.isArrayType(t)) return checker.getTypeArguments(t as ts.TypeReference).flatMap((a) => ownInterfaces(checker, a));
  if (t.isUnion()) return t.types.flatMap((u) => ownInterfaces(checker, u));
  const decl = t.getSymbol()?.declarations?.[0];
  return decl && ts.isInterfaceDeclaration(decl) && decl.getSourceFile().fileName.startsWith(join(ROOT, 'src')) ? [t] : [];
}

describe('the package entry (src/library.ts)', () => {
  const { checker, exported, exports } = api();
  const constructs = exports.filter((s) => s.flags & ts.SymbolFlags.Class && isConstruct(checker, checker.getDeclaredTypeOfSymbol(s)));

  it('exports the constructs BackupSet is made of', () => {
    expect(constructs.map((s) => s.getName()).sort()).toEqual(
      expect.arrayContaining(['BackupAlerts', 'BackupCronJob', 'BackupSet', 'DrillCronJob', 'RestoreJob', 'RunnerConfig', 'RunnerRbac', 'VerifyCronJob']),
    );
    expect(constructs.length).toBeGreaterThanOrEqual(17);
  });

  it("exports every construct's props type and every interface the props reach; each optional prop has a @default", () => {
    const missing: string[] = [];
    const undocumented: string[] = [];
    const seen = new Set<ts.Type>();
    const visit = (t: ts.Type, where: string) => {
      if (seen.has(t)) return;
      seen.add(t);
      const name = t.getSymbol()!.getName();
      if (!exported.has(name)) missing.push(`${name} (${where})`);
      for (const p of checker.getPropertiesOfType(t)) {
        if (p.flags & ts.SymbolFlags.Optional && !p.getJsDocTags().some((tag) => tag.name === 'default')) undocumented.push(`${name}.${p.getName()}`);
        for (const inner of ownInterfaces(checker, checker.getTypeOfSymbol(p))) visit(inner, `${name}.${p.getName()}`);
      }
    };
    for (const c of constructs) {
      const ctor = checker.getTypeOfSymbol(c).getConstructSignatures()[0];
      const props = ctor.getParameters()[2];
      expect(props, `${c.getName()} takes (scope, id, props)`).toBeDefined();
      const propsType = checker.getTypeOfSymbol(props);
      const own = ownInterfaces(checker, propsType);
      expect(own.length, `${c.getName()}'s props are an interface of its own`).toBe(1);
      // Only BackupSetChart takes the whole values; every other construct takes what it uses.
      if (c.getName() !== 'BackupSetChart')
        expect(
          checker.getPropertiesOfType(propsType).map((p) => p.getName()),
          c.getName(),
        ).not.toContain('values');
      visit(own[0], c.getName());
    }
    expect(missing).toEqual([]);
    expect(undocumented).toEqual([]);
  });
});
