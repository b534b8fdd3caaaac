/**
 * The words the risk-cue rules (risk-cues.ts) look for, as the normal forms and lemmas
 * wink-nlp gives (lower case, contractions expanded: "isn't" is "is" + "not"). Plain data: the
 * rules that use them, and why, are in risk-cues.ts.
 */

const words = (list: string): ReadonlySet<string> => new Set(list.trim().split(/\s+/));

/** Text-speak and shorthand, repaired before the text is read ("kid bein hit rn"). */
export const TEXT_SPEAK: Readonly<Record<string, string>> = {
  rn: 'right now',
  atm: 'at the moment',
  rite: 'right',
  bein: 'being',
  u: 'you',
  ur: 'your',
  r: 'are',
  ppl: 'people',
  pls: 'please',
  plz: 'please',
  kidz: 'kids',
  kiddo: 'kid',
  kiddie: 'kid',
  kiddies: 'kids',
  babby: 'baby',
  bby: 'baby',
  gonna: 'going to',
  wanna: 'want to',
  gotta: 'have to',
  tonite: 'tonight',
  '2nite': 'tonight',
  '2day': 'today',
  some1: 'someone',
  sum1: 'someone',
  any1: 'anyone',
  no1: 'no one',
  noone: 'no one',
  nobodys: "nobody's",
  "i'm": 'I am',
  im: 'I am',
  "i've": 'I have',
  ive: 'I have',
  wiv: 'with',
  wif: 'with',
  da: 'the',
  dem: 'them',
  dey: 'they',
  b4: 'before',
  cos: 'because',
  coz: 'because',
  dunno: "don't know",
  cld: 'could',
  wld: 'would',
  ded: 'dead',
  deid: 'dead',
  dieing: 'dying',
  dyed: 'died',
  yrs: 'years',
  yr: 'year',
  mins: 'minutes',
  hrs: 'hours',
  paed: 'paediatric',
  paeds: 'paediatric',
  ped: 'paediatric',
  peds: 'paediatric',
};

/**
 * Cue words as people mistype them: an unknown word one edit away (two for long words) from one
 * of these is read as it ("daner" as "danger", "threatend" as "threatened").
 */
export const MISSPELT_TARGETS: readonly string[] = `
  danger dangerous threatened threatening threatens threat threats hurting hitting beating
  beaten punching kicking stabbed stabbing strangled strangling choking attacking assaulted
  abusing abused murder murdered suicidal suicide overdose weapon knife unconscious breathing
  alone unattended abandoned children child baby babies infant toddler newborn daughter
  teenager died dead death deceased stillborn fatality
  upset upsetting traumatised traumatic struggling stressed anxious overwhelmed nightmares
  flashbacks crying thinking sleeping coping devastated heartbroken distressed distressing
  haunted emotional
`.trim().split(/\s+/);

/** A child, by any name ("kid", "baby", "4 month old" is recognised by the age rule). */
export const CHILD = words(`
  child children kid kids baby babies infant infants toddler toddlers newborn newborns neonate
  neonates neonatal boy boys girl girls son sons daughter daughters teen teens teenager teenagers
  youngster youngsters minor minors youth schoolboy schoolgirl schoolchild schoolchildren
  juvenile paediatric pediatric sibling siblings twin twins
`);

/** Someone else who is often vulnerable when left alone. */
export const VULNERABLE = words(`elderly vulnerable frail dementia disabled disability`);

/** People who are not children: the person nearest a death word decides whose death it was. */
export const ADULT = words(`
  mum mother mom mam dad father parent parents grandparent grandmother grandfather gran nan nana
  grandma grandpa grandad granddad man men woman women lady gentleman husband wife partner
  boyfriend girlfriend carer neighbour neighbor uncle aunt auntie brother-in-law patient adult
  adults colleague friend stepdad stepfather stepmum stepmother
`);

/** Other words for people, who can be hurt ("hurting his sister"). */
export const OTHER_PEOPLE = words(`
  sister sisters brother brothers cousin nephew niece relative relatives lad lads lass person people
  victim resident client family bloke guy household someone somebody everyone
`);

/** Words for a death that has happened. */
export const DEATH = words(`
  died dead death deaths deceased fatality fatalities fatal stillborn stillbirth killed drowned
  murdered suffocated perished
`);
/** A death that has happened, for telling a threat to life that came true from one that may. */
export const DIED = words(`died dead deceased killed drowned perished`);
/** A death said as what did not happen: "didn't survive", "couldn't be saved". */
export const DEATH_PHRASES: readonly (readonly string[])[] = [
  ['not', 'survive'],
  ['not', 'make', 'it'],
  ['could', 'not', 'be', 'saved'],
  ['could', 'not', 'save'],
  ['could', 'not', 'be', 'resuscitated'],
  ['life', 'extinct'],
];
/** Terms that name the death of a child by themselves. */
export const CHILD_DEATH_TERMS: readonly (readonly string[])[] = [
  ['cot', 'death'],
  ['sids'],
  ['sudi'],
  ['sudic'],
  ['sudc'],
  ['sudden', 'infant', 'death'],
  ['sudden', 'unexpected', 'death'],
  ['sudden', 'unexplained', 'death'],
  ['cdop'],
  ['child', 'death', 'review'],
  ['stillbirth'],
  ['stillborn'],
];

/** Harm done to someone: read with its tense (a harm last year is not immediate risk). */
export const HARM_VERBS = words(`
  hurt hit beat punch kick slap smack strangle choke stab shoot attack assault abuse rape molest
  batter harm injure burn shake threaten kill murder torture starve drown suffocate throttle
  whip thump wallop groom exploit traffic neglect touch cut fight throw lock knock push shove drag
`);
/** Irregular forms of harm verbs, to their base. */
export const IRREGULAR: Readonly<Record<string, string>> = {
  beaten: 'beat',
  shaken: 'shake',
  shook: 'shake',
  shot: 'shoot',
  burnt: 'burn',
  struck: 'strike',
  fought: 'fight',
  bitten: 'bite',
  drowned: 'drown',
};
/** Weapons: a cue unless named as a topic ("knife crime"). */
export const WEAPONS = words(`weapon weapons knife knives gun guns machete blade firearm`);
export const NOT_A_WEAPON_AFTER = words(`crime crimes awareness training course amnesty policy`);

/**
 * Harm named as a noun ("domestic abuse", "an assault"): a topic people ask advice about, so
 * a cue only with a sign that it is happening now.
 */
export const HARM_NOUNS = words(`
  abuse assault violence attack neglect exploitation dv beating fight fighting injury injuries
  injured bruise bruises bruising bleeding fracture fractures drugs drunk intoxicated
`);

/** Threats to life and a danger named outright: risk unless denied or clearly in the past. */
export const DANGER_STATES = words(`danger dangerous unsafe emergency sos endangered peril threat threats threatening threatened violent aggressive`);

/** Threats to someone's life, their own included. */
export const LIFE_THREAT_PHRASES: readonly (readonly string[])[] = [
  ['kill', 'himself'],
  ['kill', 'herself'],
  ['kill', 'myself'],
  ['kill', 'themselves'],
  ['kill', 'themself'],
  ['end', 'my', 'life'],
  ['end', 'his', 'life'],
  ['end', 'her', 'life'],
  ['end', 'their', 'life'],
  ['end', 'it', 'all'],
  ['take', 'my', 'own', 'life'],
  ['take', 'his', 'own', 'life'],
  ['take', 'her', 'own', 'life'],
  ['take', 'their', 'own', 'life'],
  ['want', 'to', 'die'],
  ['going', 'to', 'die'],
  ['not', 'want', 'to', 'be', 'here'],
  ['can', 'not', 'go', 'on'],
  ['going', 'to', 'jump'],
  ['threatening', 'to', 'jump'],
  ['jump', 'off'],
  ['jumping', 'off'],
  ['not', 'breathing'],
  ['not', 'breathe'],
  ['stopped', 'breathing'],
  ['risk', 'to', 'life'],
  ['self', 'harm'],
  ['self', 'harming'],
  ['selfharm'],
  ['selfharming'],
  ['cutting', 'herself'],
  ['cutting', 'himself'],
  ['cutting', 'themselves'],
  ['cutting', 'myself'],
  ['life', 'threatening'],
  ['death', 'threat'],
  ['death', 'threats'],
];
export const LIFE_THREAT_WORDS = words(`suicidal suicide overdose overdosed dying unconscious unresponsive`);

/** Someone held or kept against their will: a state that can be denied or in the past. */
export const HELD_PHRASES: readonly (readonly string[])[] = [
  ['being', 'held'],
  ['held', 'captive'],
  ['held', 'hostage'],
  ['against', 'her', 'will'],
  ['against', 'his', 'will'],
  ['against', 'their', 'will'],
  ['kept', 'prisoner'],
];

/** A child with adults who may exploit them: a cue when a child is named. */
export const EXPLOITED_PHRASES: readonly (readonly string[])[] = [
  ['with', 'an', 'older', 'man'],
  ['with', 'older', 'men'],
  ['with', 'older', 'boys'],
  ['with', 'an', 'adult', 'man'],
  ['with', 'a', 'stranger'],
  ['with', 'strangers'],
];

/** Someone left without care: a cue when a child or vulnerable person is named near it. */
export const ALONE_WORDS = words(`alone unattended unsupervised abandoned missing`);
export const ALONE_PHRASES: readonly (readonly string[])[] = [
  ['on', 'his', 'own'],
  ['on', 'her', 'own'],
  ['on', 'their', 'own'],
  ['on', 'its', 'own'],
  ['by', 'himself'],
  ['by', 'herself'],
  ['by', 'themselves'],
  ['no', 'adult'],
  ['no', 'adults'],
  ['no', 'parent'],
  ['without', 'an', 'adult'],
  ['without', 'adults'],
  ['no', 'one', 'looking', 'after'],
  ['nobody', 'looking', 'after'],
  ['no', 'one', 'caring', 'for'],
  ['nobody', 'caring', 'for'],
  ['no', 'one', 'with'],
  ['nobody', 'with'],
  ['no', 'one', 'to', 'look', 'after'],
  ['nobody', 'feeding'],
  ['no', 'one', 'feeding'],
  ['nobody', 'to', 'look', 'after'],
  ['locked', 'in'],
  ['left', 'in', 'the', 'car'],
  ['tied', 'up'],
  ['tied', 'to'],
  ['without', 'food'],
  ['no', 'food'],
  ['without', 'heating'],
  ['no', 'heating'],
];

/** Signs that something is happening now, or is about to. */
export const NOW = words(`now currently still tonight ongoing today happening constantly again`);
export const NOW_PHRASES: readonly (readonly string[])[] = [
  ['at', 'the', 'moment'],
  ['at', 'present'],
  ['as', 'we', 'speak'],
  ['this', 'morning'],
  ['this', 'afternoon'],
  ['this', 'evening'],
  ['every', 'day'],
  ['every', 'night'],
  ['about', 'to'],
  ['going', 'to'],
  ['minutes', 'ago'],
  ['an', 'hour', 'ago'],
  ['hours', 'ago'],
  ['just', 'now'],
];

/** Signs that a harm is in the past. */
export const PAST = words(`yesterday previously previous historic historical historically history childhood ago formerly`);
export const PAST_PHRASES: readonly (readonly string[])[] = [
  ['in', 'the', 'past'],
  ['used', 'to'],
  ['as', 'a', 'child'],
  ['when', 'i', 'was'],
  ['when', 'he', 'was'],
  ['when', 'she', 'was'],
  ['when', 'they', 'were'],
  ['back', 'in'],
];
/** "last night", "last year", "last Tuesday". */
export const LAST_WHAT = words(`
  night week weekend month year time summer winter spring autumn christmas easter shift
  monday tuesday wednesday thursday friday saturday sunday
`);

/** Auxiliaries that put the verb after them in the present or future, or in the past. */
export const PRESENT_AUX = words(`is are am be being has have keeps keep will going gonna might could may can`);
export const PAST_AUX = words(`was were had did got`);

/** Words that make a denial uncertain ("not sure anyone is safe"): the cue stands. */
export const UNCERTAIN = words(`unsure whether maybe might perhaps possibly worried worry worrying concerned scared afraid fear suspect unclear wonder`);
/** Words that make a denial uncertain when they are denied themselves: "I don't know if...". */
export const DENIED_KNOWING = words(`sure know certain tell`);
/** Denying words that are subjects: "nobody is in danger". */
export const NEGATIVE_SUBJECTS = words(`nobody none neither nothing`);
/** Verbs whose denial denies what follows: "I don't think anyone is at risk". */
export const DENIED_THINKING = words(`think believe reckon feel say consider suspect`);
/** Plain negators as wink-nlp gives them. */
export const NEGATORS = words(`not no never nor`);
/** Reassurance: a clause that says someone is fine does not make another clause "now". */
export const REASSURANCE = words(`safe fine ok okay alright well recovered recovering protected foster custody arrested removed`);

/** Words passed over inside a phrase: "no one is looking after", "feeling really low". */
export const PHRASE_FILLERS = words(`is are am be really so very just quite pretty properly`);
/** Words that make a denied harm a threat again: "not now, but he says he will later". */
export const FUTURE = words(`will later tonight tomorrow again going gonna`);

/** Words that end one clause and start another inside a sentence. */
export const CLAUSE_BREAKS = words(`but though although however whereas except`);
/** Words after which a denial no longer reaches ("nobody told me that he is hitting her"). */
export const SCOPE_BREAKS = words(`and that who which when because if whether while so then`);

/** "It's killing me", "it really hurt to see": the harm verb's subject is the experience. */
export const IMPERSONAL_SUBJECTS = words(`it this that`);

/** The emotional impact of the work on the person writing. */
export const EMOTIONAL_WORDS = words(`
  upset upsetting distressed distressing distress traumatised traumatized traumatising shaken
  struggling struggle stressed stress anxious anxiety overwhelmed nightmares nightmare flashbacks
  flashback crying cry cried tearful tears haunted haunting numb guilty guilt sad depressed scared
  terrified frightened panicking panicky replaying replay
  heartbroken devastated gutted emotional emotionally affected affecting burnt burnout exhausted
  shattered horrible awful terrible harrowing disturbing disturbed panic wobbly fragile wellbeing
  breakdown sleepless
`);
export const EMOTIONAL_PHRASES: readonly (readonly string[])[] = [
  ['can', 'not', 'stop'],
  ['could', 'not', 'stop'],
  ['keep', 'thinking'],
  ['keeps', 'coming', 'back'],
  ['keep', 'seeing'],
  ['on', 'my', 'mind'],
  ['can', 'not', 'sleep'],
  ['could', 'not', 'sleep'],
  ['not', 'sleeping'],
  ['not', 'slept'],
  ['can', 'not', 'cope'],
  ['not', 'coping'],
  ['not', 'cope'],
  ['not', 'ok'],
  ['not', 'okay'],
  ['not', 'alright'],
  ['not', 'myself'],
  ['got', 'to', 'me'],
  ['getting', 'to', 'me'],
  ['get', 'to', 'me'],
  ['hit', 'me', 'hard'],
  ['broke', 'down'],
  ['fell', 'apart'],
  ['falling', 'apart'],
  ['how', 'i', 'am', 'feeling'],
  ['how', 'i', 'feel'],
  ['my', 'feelings'],
  ['hurt', 'to', 'see'],
  ['hurts', 'to', 'see'],
  ['killing', 'me'],
  ['still', 'thinking'],
  ['switch', 'off'],
  ['out', 'of', 'my', 'head'],
  ['broken', 'me'],
  ['broke', 'me'],
  ['in', 'bits'],
  ['finding', 'it', 'hard'],
  ['find', 'it', 'hard'],
  ['feel', 'sick'],
  ['feel', 'awful'],
  ['feel', 'terrible'],
  ['feeling', 'low'],
  ['feel', 'low'],
  ['mental', 'health'],
  ['hard', 'time'],
  ['tough', 'time'],
  ['difficult', 'time'],
  ['impact', 'on', 'me'],
  ['affected', 'me'],
  ['bothering', 'me'],
  ['playing', 'on'],
  ['head', 'is', 'all', 'over'],
  ['not', 'know', 'how', 'to', 'deal'],
  ['not', 'know', 'how', 'to', 'process'],
  ['debrief'],
];

/** Emoji that carry a meaning the rules act on. */
export const SOS_EMOJI = new Set(['🆘', '🚨']);
export const SAD_EMOJI = new Set(['😢', '😭', '💔', '😞', '😔', '😿', '🥺', '😥', '😰']);
