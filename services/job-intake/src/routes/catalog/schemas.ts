import { Type, type Static } from '@fastify/type-provider-typebox';

const Name = Type.String({ minLength: 1, maxLength: 64 });
/** A list as JSON sends it, or as a form field: comma-separated, or the field repeated. */
const NameList = (description: string) => Type.Union([Type.String({ maxLength: 1024, description: `${description}, comma-separated` }), Type.Array(Name, { maxItems: 64, description })]);

export const Entry = Type.Object({ name: Type.String(), description: Type.String() });
export const NewEntry = Type.Object({ name: Name, description: Type.Optional(Type.String({ maxLength: 256 })) }, { additionalProperties: false });
export type NewEntry = Static<typeof NewEntry>;
/** `PUT /<kind>/:id`: the name comes from the path; one in the body must be the same. */
export const ReplacedEntry = Type.Object({ ...NewEntry.properties, name: Type.Optional(Name) }, { additionalProperties: false });
export type ReplacedEntry = Static<typeof ReplacedEntry>;

export const SuiteArch = Type.Object({ arch: Name, masterWeight: Type.Integer({ minimum: 0, maximum: 1_000_000 }) }, { additionalProperties: false });

export const Suite = Type.Object({
  name: Type.String(),
  dist: Type.String(),
  arches: Type.Array(Type.Object({ arch: Type.String(), masterWeight: Type.Integer() })),
  formats: Type.Array(Type.String()),
  envs: Type.Array(Type.String()),
  masterArch: Type.String({ description: 'the architecture that also builds Architecture: all packages (highest master weight)' }),
  keyrings: Type.Array(Type.String(), { description: "keyrings (paths on the builders) that a dsc or apt source's .dsc must be signed by: the suite's own, else its distribution's defaults" }),
  checkSignatures: Type.Boolean({ description: "false only when an admin chose that the suite's .dsc signatures are not checked" }),
  lintian: Type.Boolean({ description: 'whether lintian runs after each deb build (a recorded step that never fails the build)' }),
});

export const NewSuite = Type.Object(
  {
    name: Name,
    dist: Type.Optional(Type.String({ maxLength: 64, description: 'required unless the catalogue holds exactly one distribution' })),
    arches: Type.Union([
      Type.String({ minLength: 1, maxLength: 1024, description: 'comma-separated; the first listed is the master' }),
      Type.Array(Type.Union([Name, SuiteArch]), { minItems: 1, maxItems: 64, description: 'names (the first is the master) or { arch, masterWeight }' }),
    ]),
    formats: Type.Optional(NameList('formats; required unless the catalogue holds exactly one')),
    envs: Type.Optional(NameList('build environments')),
    keyrings: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
        maxItems: 16,
        description: "absolute paths on the builders of the keyrings a .dsc (dsc and apt sources) must be signed by. Left out: the distribution's defaults (Debian's keyrings for Debian suites); [] checks no signature",
      }),
    ),
    lintian: Type.Optional(Type.Boolean({ description: 'run lintian after each deb build (default true); its result never fails the build' })),
  },
  { additionalProperties: false },
);
export type NewSuite = Static<typeof NewSuite>;
/** `PUT /suite/:id`: the name comes from the path; one in the body must be the same. */
export const ReplacedSuite = Type.Object({ ...NewSuite.properties, name: Type.Optional(Name) }, { additionalProperties: false });
export type ReplacedSuite = Static<typeof ReplacedSuite>;

export const SuiteArchView = Type.Object({
  id: Type.String({ description: '<suite>:<arch>' }),
  suite: Type.String(),
  arch: Type.String(),
  masterWeight: Type.Integer(),
  master: Type.Boolean(),
});

export const NewSuiteArch = Type.Object(
  {
    suite_id: Type.Optional(Type.String({ maxLength: 64, description: "pyBit's field: the suite's name" })),
    arch_id: Type.Optional(Type.String({ maxLength: 64, description: "pyBit's field: the architecture's name" })),
    master_weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'the highest weight is the master' })),
    suite: Type.Optional(Type.String({ maxLength: 64 })),
    arch: Type.Optional(Type.String({ maxLength: 64 })),
    masterWeight: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);
export type NewSuiteArch = Static<typeof NewSuiteArch>;

export const StatusView = Type.Object({ name: Type.String() });
