/*
 * The analysts' dashboard. A plain browser script (no build step), loaded after Chart.js (the
 * global `Chart`) and oidc-client-ts (the global `oidc`). Every figure comes from
 * GET /statistics/* called with the user's bearer token: one from the OIDC provider when the
 * service names one (settings.json), else one the user pastes; either way kept in this tab's
 * sessionStorage. A suppressed cell ({value: null, suppressed: true}) is never drawn as 0: charts
 * leave it out and mark its point with ⊘ at the zero line, tables say "suppressed". Labels are
 * Dutch (the default) or English; every chart downloads as CSV from the API.
 */
'use strict';

(() => {
  const TOKEN_KEY = 'dashboard.token';
  const LANGUAGE_KEY = 'dashboard.language';
  /** Temporary protection started in March 2022: the default start of the range and cohort. */
  const PROTECTION_START = '2022-03';
  const LANGUAGES = ['nl', 'en'];
  const LOCALES = { nl: 'nl-BE', en: 'en-GB' };

  const STAGES = [
    ['registered', '#9aa5b8'],
    ['housed', '#4e79a7'],
    ['inburgering', '#f28e2b'],
    ['vdab', '#76b7b2'],
    ['employed', '#59a14f'],
  ];
  /** [key, the cell in a flows group, colour or null for the table only] */
  const FLOWS = [
    ['registrations', (g) => g.registrations, '#4e79a7'],
    ['housings', (g) => g.housings, '#76b7b2'],
    ['firstHousingsEver', (g) => g.firstHousingsEver, null],
    ['rehousings', (g) => g.rehousings.total, '#b07aa1'],
    ['inburgering', (g) => g.inburgeringEnrolments.total, '#f28e2b'],
    ['vdab', (g) => g.vdabRegistrations, '#edc948'],
    ['employmentStarts', (g) => g.employmentStarts, '#59a14f'],
    ['employmentEnds', (g) => g.employmentEnds, null],
    ['employmentEndsIncludingDepartures', (g) => g.employmentEndsIncludingDepartures, null],
    ['departures', (g) => g.departures.total, '#e15759'],
    ['reopenings', (g) => g.reopenings, null],
    ['transitions', (g) => g.transitions.total, '#9c755f'],
    ['stockAtEnd', (g) => g.stockAtEnd, null],
  ];
  const ZERO = { value: 0, suppressed: false };
  /** A rate over nobody: no value, not suppressed. */
  const NONE = { value: null, suppressed: false };

  // ---- words --------------------------------------------------------------------------------

  const TEXT = {
    nl: {
      title: 'Tijdelijke bescherming in Vlaanderen: dashboard voor analisten',
      tokenLabel: 'Bearer-token (analist, medewerker of beheerder)',
      tokenPlaceholder: 'plak een token',
      useToken: 'Token gebruiken',
      forgetToken: 'Token vergeten',
      tokenHint: 'Het token blijft alleen in dit tabblad (sessionStorage). Op de ingebouwde standaardopstelling:',
      signIn: 'Aanmelden',
      signOut: 'Afmelden',
      signedInAs: (name) => `Aangemeld als ${name}.`,
      province: 'Provincie',
      allProvinces: 'Alle (Vlaanderen en Brussel)',
      brussels: 'Brussels Hoofdstedelijk Gewest (geen provincie)',
      municipality: 'Gemeente',
      allMunicipalities: 'Alle gemeenten van de keuze links',
      interval: 'Per',
      month: 'maand',
      quarter: 'kwartaal',
      year: 'jaar',
      from: 'Van',
      to: 'Tot en met',
      cohort: 'Cohorte',
      endDates: 'Einddatums vooruitzicht',
      endDatesPlaceholder: 'standaard: einde bescherming',
      ownRate: 'Eigen scenario: overgangen per maand',
      ownRatePlaceholder: 'bv. 0.02; leeg: geen',
      ownRateInvalid: 'Het eigen scenario is een maandelijks aandeel van 0 tot 1, met een punt (bv. 0.02).',
      scenarios: { trend: 'trend', own: (rate) => `eigen: ${rate} overgangen per maand` },
      table: 'Tabel',
      csv: (title) => `${title}: downloaden als CSV`,
      footer:
        'Elk getal komt van GET /statistics/* met uw token en telt op bedrijfsdatums (wanneer het gebeurde); de API en haar statistieken staan beschreven op',
      funnelTitle: 'Trechter van de cohorte',
      outlookTitle: 'Vooruitzicht op de einddatum(s)',
      stockTitle: 'Actieve dossiers doorheen de tijd, per fase',
      flowsTitle: 'Stromen',
      breakdownTitle: (province) => (province ? `Per gemeente: ${province}` : 'Per provincie'),
      funnelTable: 'Tabel: trechter',
      outlookTable: 'Tabel: vooruitzicht',
      stockTable: 'Tabel: actieve dossiers doorheen de tijd',
      flowsTable: 'Tabel: stromen',
      breakdownTable: 'Tabel: per provincie of gemeente',
      vdabTitle: 'VDAB: ingeschreven, ooit aan het werk, nu aan het werk',
      vdabTable: 'Tabel: VDAB',
      vdab: {
        registeredAtVdab: 'Ingeschreven bij VDAB',
        everEmployed: 'Ooit aan het werk',
        employedNow: 'Nu aan het werk',
        everEmployedShare: 'aandeel ooit aan het werk',
        employedNowShare: 'aandeel nu aan het werk',
      },
      scopeVdab: (interval, first, last, where) =>
        `Op het einde van elke ${interval} van ${first} tot ${last}: wie bij VDAB ingeschreven is (ook wie intussen vertrok, zoals VDAB telt), ` +
        `wie ooit werk had en wie op die datum werk heeft; ${where}.`,
      stages: { registered: 'Ingeschreven', housed: 'Gehuisvest', inburgering: 'Inburgering', vdab: 'VDAB', employed: 'Aan het werk' },
      flows: {
        registrations: 'Inschrijvingen',
        housings: 'Eerste huisvestingen van een verblijf',
        firstHousingsEver: 'Eerste huisvestingen ooit',
        rehousings: 'Verhuizingen',
        inburgering: 'Inschrijvingen inburgering',
        vdab: 'Inschrijvingen VDAB',
        employmentStarts: 'Begin van werk',
        employmentEnds: 'Einde van werk',
        employmentEndsIncludingDepartures: 'Einde van werk, ook door vertrek',
        departures: 'Vertrekken',
        reopenings: 'Heropeningen',
        transitions: 'Naar ander verblijfsstatuut',
        stockAtEnd: 'Actief op het einde',
      },
      active: 'actief',
      employedNow: 'nu aan het werk',
      everEmployed: 'ooit aan het werk',
      reachedAll: 'Bereikte deze en elke vorige stap',
      reachedAtAll: 'Bereikte deze stap',
      count: 'aantal',
      reachedAtAllColumn: 'bereikt',
      fromPrevious: 'van vorige',
      fromRegistered: 'van ingeschreven',
      medianWait: 'mediane wachttijd',
      days: 'd',
      kinds: { observed: 'waargenomen', projection: 'projectie' },
      allOf: 'heel Vlaanderen en Brussel',
      intervals: { month: 'maand', quarter: 'kwartaal', year: 'jaar' },
      scopeFunnel: (cohort, asOf, where) => `Dossiers ingeschreven in ${cohort}, op ${asOf}; ${where} (gemeente van inschrijving).`,
      csvDialect: 'CSV',
      recordedAsOf: 'Zoals geregistreerd op',
      map: 'Gemeentekaart',
      mapAsRecorded: 'zoals geregistreerd',
      map2025: 'na de fusies van 2025',
      by: 'Plaats van',
      byRegistration: 'inschrijving',
      byHousing: 'huisvesting',
      recordedAsOfInvalid: 'Zoals geregistreerd op is een moment dat voorbij is (datum en uur).',
      recordedNote: (moment) =>
        `Zoals de dienst het op ${moment} zou geantwoord hebben: wat later geregistreerd werd (ook over vroegere datums) is weggelaten, ` +
        'zodat een gepubliceerde tabel later precies zo terug te vinden is.',
      peopleTitle: 'Actieve dossiers per leeftijd en geslacht',
      peopleTable: 'Tabel: per leeftijd en geslacht',
      sexes: { female: 'vrouw', male: 'man', x: 'X', unknown: 'onbekend' },
      ageBands: { unknown: 'leeftijd onbekend' },
      scopePeople: (asOf, where) => `Actieve dossiers op ${asOf} per leeftijdsgroep (leeftijd op die datum) en geslacht; ${where}.`,
      csvStandard: 'standaard (komma)',
      csvExcelBe: 'Excel België (puntkomma, UTF-8 met BOM)',
      scopeStock: (count, interval, first, last, where) => `Actieve dossiers op ${count} datums (einde van elke ${interval}) van ${first} tot ${last}; ${where}.`,
      scopeFlows: (interval, from, to, where) => `Per ${interval} van ${from} tot ${to} (bedrijfsdatums); ${where}.`,
      scopeOutlook: (last, where) =>
        `Op elke einddatum: actieve dossiers onder tijdelijke bescherming, met een ander verblijfsstatuut, en vertrokken; ${where}. Laatste geregistreerde bedrijfsdatum: ${last ?? 'geen'}.`,
      underTemporaryProtection: 'Onder tijdelijke bescherming',
      transitioned: 'Ander verblijfsstatuut',
      left: 'Vertrokken',
      sources: { observed: 'waargenomen', given: 'opgegeven' },
      rateNames: { arrivals: 'aankomsten', departures: 'vertrekken', transitions: 'overgangen' },
      scopeBreakdown: (asOf, province) =>
        province
          ? `Actieve dossiers op ${asOf} per gemeente van inschrijving in ${province}, per fase. Kies een gemeente in de filter om haar verloop te zien.`
          : `Actieve dossiers op ${asOf} per provincie van de gemeente van inschrijving, per fase. Kies een provincie om per gemeente te zien.`,
      method: (s, rates) =>
        `${s.endDate} is een projectie: vanaf de toestand op ${s.method.basedOn} (de laatste geregistreerde bedrijfsdatum), maand per maand ` +
        `over ${s.method.months} maanden, met per maand ${rates.arrivals} aankomsten (op de actieve dossiers), ${rates.departures} vertrekken ` +
        `(op de actieve dossiers) en ${rates.transitions} overgangen naar een ander verblijfsstatuut (op wie onder tijdelijke bescherming staat); ` +
        `${rates.sources}.`,
      suppressed: 'verborgen',
      suppressedTitle: 'Verborgen door de API: te weinig personen, of verborgen zodat het niet uit een totaal af te leiden is',
      suppressedFooter: (names) => `Verborgen: ${names}`,
      noteSuppressed: (threshold) =>
        `Cellen van minder dan ${threshold} personen, en cellen die verborgen zijn zodat ze niet uit een totaal af te leiden zijn, ` +
        'worden door de API verborgen: grafieken laten ze weg en markeren het punt met ⊘ op de nullijn (de tooltip noemt ze), ' +
        'tabellen zeggen "verborgen". Een 0 is een echte nul.',
      noteOff: (threshold) => `Er wordt niets verborgen (drempel ${threshold}): elk getal is zichtbaar.`,
      until: (date) => `tot ${date.slice(0, 4)}`,
      pasteToken: 'Plak een token om de statistieken te laden.',
      signInPrompt: 'Meld u aan om de statistieken te laden.',
      loading: 'Laden…',
      loadedAt: (time) => `Geladen om ${time}.`,
      tokenRefused: 'Het token werd geweigerd (niet voor deze dienst): plak een nieuw.',
      tokenExpired: 'Het token is verlopen: plak een nieuw.',
      sessionExpired: 'Uw sessie is verlopen: meld u opnieuw aan.',
      tokenOtherDataDir:
        'Dit token is niet met de sleutel van deze dienst ondertekend: het werd gemaakt voor een andere DATA_DIR (of AUTH_DEV_SECRET). ' +
        'Maak er een met dezelfde DATA_DIR als de dienst: DATA_DIR=<map van de dienst> npm run -s token -- --role analyst',
      providerRefused: 'De dienst aanvaardt het token van de aanbieder niet (AUTH_JWKS_URL, AUTH_ISSUER of AUTH_AUDIENCE?): vraag het de beheerder.',
      forbidden: 'De rol van dit token mag geen statistieken lezen: gebruik een token van een analist, medewerker of beheerder.',
      apiAnswered: (status, message) => `De API antwoordde ${status}: ${message}`,
      couldNotLoad: (message) => `Kon de statistieken niet laden: ${message}`,
      needsHttps: 'Aanmelden bij de aanbieder kan alleen over HTTPS (of op localhost): open het dashboard via https.',
      signInFailed: (message) => `Aanmelden mislukt: ${message}`,
      monthsInvalid: 'Van, Tot en met en Cohorte zijn maanden (JJJJ-MM).',
      rangeInvalid: 'Van mag niet na Tot en met liggen.',
      endDatesInvalid: 'Einddatums zijn datums (JJJJ-MM-DD), gescheiden door komma’s of spaties.',
      csvFailed: (message) => `De CSV kon niet geladen worden: ${message}`,
    },
    en: {
      title: "Temporary protection in Flanders: analysts' dashboard",
      tokenLabel: 'Bearer token (analyst, staff or admin)',
      tokenPlaceholder: 'paste a token',
      useToken: 'Use token',
      forgetToken: 'Forget token',
      tokenHint: 'The token stays in this tab only (sessionStorage). On the embedded default:',
      signIn: 'Sign in',
      signOut: 'Sign out',
      signedInAs: (name) => `Signed in as ${name}.`,
      province: 'Province',
      allProvinces: 'All (Flanders and Brussels)',
      brussels: 'Brussels-Capital Region (no province)',
      municipality: 'Municipality',
      allMunicipalities: 'All municipalities of the choice on the left',
      interval: 'Per',
      month: 'month',
      quarter: 'quarter',
      year: 'year',
      from: 'From',
      to: 'To',
      cohort: 'Cohort',
      endDates: 'Outlook end dates',
      endDatesPlaceholder: 'default: end of protection',
      ownRate: 'Own scenario: moves per month',
      ownRatePlaceholder: 'e.g. 0.02; empty: none',
      ownRateInvalid: 'The own scenario is a monthly share from 0 to 1, with a decimal point (e.g. 0.02).',
      scenarios: { trend: 'trend', own: (rate) => `own: ${rate} moves a month` },
      table: 'Table',
      csv: (title) => `${title}: download as CSV`,
      footer: 'Every number comes from GET /statistics/* with your token, counted on business dates (when things happened); the API and its statistics are documented at',
      funnelTitle: 'Funnel of the cohort',
      outlookTitle: 'Outlook to the end date(s)',
      stockTitle: 'Active dossiers over time, by stage',
      flowsTitle: 'Flows',
      breakdownTitle: (province) => (province ? `Per municipality: ${province}` : 'Per province'),
      funnelTable: 'Table: funnel',
      outlookTable: 'Table: outlook',
      stockTable: 'Table: active dossiers over time',
      flowsTable: 'Table: flows',
      breakdownTable: 'Table: per province or municipality',
      vdabTitle: 'VDAB: registered, ever employed, employed now',
      vdabTable: 'Table: VDAB',
      vdab: {
        registeredAtVdab: 'Registered at VDAB',
        everEmployed: 'Ever employed',
        employedNow: 'Employed now',
        everEmployedShare: 'share ever employed',
        employedNowShare: 'share employed now',
      },
      scopeVdab: (interval, first, last, where) =>
        `At the end of every ${interval} from ${first} to ${last}: who is registered at VDAB (those who left since too, as VDAB counts), ` +
        `who ever had a job and who has one on that date; ${where}.`,
      stages: { registered: 'Registered', housed: 'Housed', inburgering: 'Inburgering', vdab: 'VDAB', employed: 'Employed' },
      flows: {
        registrations: 'Registrations',
        housings: 'First housings of a stay',
        firstHousingsEver: 'First housings ever',
        rehousings: 'Rehousings',
        inburgering: 'Inburgering enrolments',
        vdab: 'VDAB registrations',
        employmentStarts: 'Employment starts',
        employmentEnds: 'Employment ends',
        employmentEndsIncludingDepartures: 'Employment ends, departures too',
        departures: 'Departures',
        reopenings: 'Reopenings',
        transitions: 'To another residence status',
        stockAtEnd: 'Active at the end',
      },
      active: 'active',
      employedNow: 'employed now',
      everEmployed: 'ever employed',
      reachedAll: 'Reached this and every earlier step',
      reachedAtAll: 'Reached this step at all',
      count: 'count',
      reachedAtAllColumn: 'reached at all',
      fromPrevious: 'from previous',
      fromRegistered: 'from registered',
      medianWait: 'median wait',
      days: 'd',
      kinds: { observed: 'observed', projection: 'projection' },
      allOf: 'all of Flanders and Brussels',
      intervals: { month: 'month', quarter: 'quarter', year: 'year' },
      scopeFunnel: (cohort, asOf, where) => `Dossiers registered in ${cohort}, as of ${asOf}; ${where} (municipality of registration).`,
      csvDialect: 'CSV',
      recordedAsOf: 'As recorded at',
      map: 'Municipality map',
      mapAsRecorded: 'as recorded',
      map2025: 'after the 2025 mergers',
      by: 'Place of',
      byRegistration: 'registration',
      byHousing: 'housing',
      recordedAsOfInvalid: 'As recorded at is a moment that has passed (date and time).',
      recordedNote: (moment) =>
        `As the service would have answered at ${moment}: what was recorded later (about earlier dates too) is left out, ` +
        'so that a published table can be found again exactly as it was.',
      peopleTitle: 'Active dossiers by age and sex',
      peopleTable: 'Table: by age and sex',
      sexes: { female: 'female', male: 'male', x: 'X', unknown: 'unknown' },
      ageBands: { unknown: 'age unknown' },
      scopePeople: (asOf, where) => `Active dossiers on ${asOf} by age band (age on that date) and sex; ${where}.`,
      csvStandard: 'standard (comma)',
      csvExcelBe: 'Excel Belgium (semicolon, UTF-8 with BOM)',
      scopeStock: (count, interval, first, last, where) => `Active dossiers on ${count} dates (the end of every ${interval}) from ${first} to ${last}; ${where}.`,
      scopeFlows: (interval, from, to, where) => `Per ${interval} from ${from} to ${to} (business dates); ${where}.`,
      scopeOutlook: (last, where) =>
        `At each end date: active dossiers under temporary protection, under another residence status, and left; ${where}. Last recorded business date: ${last ?? 'none'}.`,
      underTemporaryProtection: 'Under temporary protection',
      transitioned: 'Another residence status',
      left: 'Left',
      sources: { observed: 'observed', given: 'given' },
      rateNames: { arrivals: 'arrivals', departures: 'departures', transitions: 'moves' },
      scopeBreakdown: (asOf, province) =>
        province
          ? `Active dossiers on ${asOf} per municipality of registration in ${province}, by stage. Pick a municipality in the filters to see its course.`
          : `Active dossiers on ${asOf} by the province of their registration municipality, by stage. Pick a province to see its municipalities.`,
      method: (s, rates) =>
        `${s.endDate} is a projection: from the situation on ${s.method.basedOn} (the last recorded business date), month by month over ` +
        `${s.method.months} months, with monthly rates of ${rates.arrivals} arrivals (over the active dossiers), ${rates.departures} departures ` +
        `(over the active dossiers) and ${rates.transitions} moves to another residence status (over those under temporary protection); ` +
        `${rates.sources}.`,
      suppressed: 'suppressed',
      suppressedTitle: 'Suppressed by the API: too few persons, or hidden so that it cannot be worked out from a total',
      suppressedFooter: (names) => `Suppressed: ${names}`,
      noteSuppressed: (threshold) =>
        `Cells counting fewer than ${threshold} persons, and cells hidden so that they cannot be worked out from a total, ` +
        'are suppressed by the API: charts leave them out and mark the point ⊘ at the zero line (the tooltip names them), ' +
        'tables say "suppressed". A 0 is a real zero.',
      noteOff: (threshold) => `Suppression is off (threshold ${threshold}): every number is shown.`,
      until: (date) => `until ${date.slice(0, 4)}`,
      pasteToken: 'Paste a token to load the statistics.',
      signInPrompt: 'Sign in to load the statistics.',
      loading: 'Loading…',
      loadedAt: (time) => `Loaded at ${time}.`,
      tokenRefused: 'The token was refused (not for this service): paste a new one.',
      tokenExpired: 'The token has expired: paste a new one.',
      sessionExpired: 'Your session has expired: sign in again.',
      tokenOtherDataDir:
        "This token is not signed with this service's key: it was made for another DATA_DIR (or AUTH_DEV_SECRET). " +
        "Make one with the service's DATA_DIR: DATA_DIR=<the service's directory> npm run -s token -- --role analyst",
      providerRefused: "The service does not accept the provider's token (AUTH_JWKS_URL, AUTH_ISSUER or AUTH_AUDIENCE?): ask its administrator.",
      forbidden: "This token's role may not read statistics: use an analyst, staff or admin token.",
      apiAnswered: (status, message) => `The API answered ${status}: ${message}`,
      couldNotLoad: (message) => `Could not load the statistics: ${message}`,
      needsHttps: 'Signing in with the provider needs HTTPS (or localhost): open the dashboard over https.',
      signInFailed: (message) => `Signing in failed: ${message}`,
      monthsInvalid: 'From, To and Cohort are months (YYYY-MM).',
      rangeInvalid: 'From must not be after To.',
      endDatesInvalid: 'Outlook end dates are dates (YYYY-MM-DD), separated by commas or spaces.',
      csvFailed: (message) => `Could not download the CSV: ${message}`,
    },
  };

  let language = 'nl';
  const t = (key, ...args) => {
    const text = TEXT[language][key];
    return typeof text === 'function' ? text(...args) : text;
  };
  const numberFormat = () => new Intl.NumberFormat(LOCALES[language]);

  const $ = (id) => document.getElementById(id);
  const pad = (n) => String(n).padStart(2, '0');
  const monthEnd = (month) => {
    const [year, m] = month.split('-').map(Number);
    return new Date(Date.UTC(year, m, 0)).toISOString().slice(0, 10);
  };
  const today = () => {
    const now = new Date();
    return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  };
  const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
  const DATE = /^\d{4}-\d{2}-\d{2}$/;

  /** The page's fixed words in the current language: elements marked data-text, data-aria, data-placeholder. */
  function translatePage() {
    document.documentElement.lang = language;
    for (const element of document.querySelectorAll('[data-text]')) element.textContent = t(element.dataset.text);
    for (const element of document.querySelectorAll('[data-aria]')) element.setAttribute('aria-label', t(element.dataset.aria));
    for (const element of document.querySelectorAll('[data-placeholder]')) element.placeholder = t(element.dataset.placeholder);
    document.title = t('title');
    for (const button of document.querySelectorAll('[data-lang]')) button.setAttribute('aria-pressed', String(button.dataset.lang === language));
    for (const button of document.querySelectorAll('button.csv')) {
      button.setAttribute('aria-label', t('csv', document.querySelector(`#${button.dataset.section} h2`).textContent));
    }
    showMunicipalities();
    showSignedInAs();
  }

  // ---- cells --------------------------------------------------------------------------------

  const valueOf = (cell) => (cell && !cell.suppressed ? cell.value : null);
  /** A cell as text: suppressed, "–" for no value (a rate over zero), else the formatted value. */
  function cellText(cell, format = (v) => numberFormat().format(v)) {
    if (!cell) return '';
    if (cell.suppressed) return t('suppressed');
    return cell.value === null ? '–' : format(cell.value);
  }
  const percent = (v) => `${new Intl.NumberFormat(LOCALES[language], { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(v * 100)} %`;
  const days = (v) => `${numberFormat().format(v)} ${t('days')}`;

  /** A dataset of cells: suppressed ones are null (a gap, never 0) and flagged for the ⊘ markers. */
  function dataset(label, cells, colour, extra = {}) {
    return {
      label,
      data: cells.map(valueOf),
      suppressed: cells.map((cell) => Boolean(cell && cell.suppressed)),
      backgroundColor: colour,
      borderColor: colour,
      // A chart of two end dates on a wide card: bars, not slabs.
      maxBarThickness: 90,
      ...extra,
    };
  }

  /** Series suppressed at point `index` (visible ones only). */
  const suppressedAt = (chart, index) =>
    chart.data.datasets.filter((set, d) => set.suppressed && set.suppressed[index] && chart.isDatasetVisible(d)).map((set) => set.label);

  /**
   * ⊘ at the zero line of every point (a bar, a period) where a series is suppressed; which ones,
   * the tooltip and the table say. One mark a point: a row per series would stand at heights
   * that read as values.
   */
  const suppressedMarkers = {
    id: 'suppressedMarkers',
    afterDatasetsDraw(chart) {
      const horizontal = chart.options.indexAxis === 'y';
      const indexScale = horizontal ? chart.scales.y : chart.scales.x;
      const valueScale = horizontal ? chart.scales.x : chart.scales.y;
      if (!indexScale || !valueScale) return;
      const { ctx } = chart;
      const base = valueScale.getPixelForValue(0);
      ctx.save();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = '#3d4555';
      ctx.fillStyle = '#ffffff';
      chart.data.labels.forEach((_, i) => {
        if (suppressedAt(chart, i).length === 0) return;
        const along = indexScale.getPixelForValue(i);
        const [x, y] = horizontal ? [base + 8, along] : [along, base - 8];
        ctx.beginPath();
        ctx.arc(x, y, 5, 0, 2 * Math.PI);
        ctx.fill();
        ctx.stroke();
        ctx.beginPath();
        ctx.moveTo(x - 3.5, y + 3.5);
        ctx.lineTo(x + 3.5, y - 3.5);
        ctx.stroke();
      });
      ctx.restore();
    },
  };

  /** Tooltips name the series suppressed at the point. */
  function suppressedFooter(items) {
    if (items.length === 0) return '';
    const names = suppressedAt(items[0].chart, items[0].dataIndex);
    return names.length ? t('suppressedFooter', names.join(', ')) : '';
  }

  const charts = new Map();
  function draw(canvasId, config) {
    if (charts.has(canvasId)) charts.get(canvasId).destroy();
    config.options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      locale: LOCALES[language],
      interaction: { mode: 'index', intersect: false },
      ...config.options,
      plugins: { legend: { position: 'bottom' }, tooltip: { callbacks: { footer: suppressedFooter } }, ...(config.options || {}).plugins },
    };
    charts.set(canvasId, new Chart($(canvasId), config));
  }

  /** A table of cells; every cell carries data-row and data-col, suppressed ones class "suppressed". */
  function table(tableId, columns, rows) {
    const element = $(tableId);
    element.replaceChildren();
    const head = element.createTHead().insertRow();
    for (const [, label] of [['', ''], ...columns]) {
      const th = head.appendChild(document.createElement('th'));
      th.scope = 'col';
      th.textContent = label;
    }
    const body = element.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      const th = tr.appendChild(document.createElement('th'));
      th.scope = 'row';
      th.textContent = row.label;
      for (const [key, , format] of columns) {
        const cell = row.cells[key];
        const td = tr.insertCell();
        td.dataset.row = row.key;
        td.dataset.col = key;
        td.textContent = cellText(cell, format);
        if (cell && cell.suppressed) {
          td.className = 'suppressed';
          td.title = t('suppressedTitle');
        }
      }
    }
  }

  // ---- the API ------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, problem, fallback) {
      super((problem && (problem.detail || problem.title)) || fallback);
      this.status = status;
      this.problem = problem || {};
    }
  }

  function apiUrl([path, params]) {
    const url = new URL(path, window.location.origin);
    for (const [name, value] of params) url.searchParams.append(name, value);
    return url;
  }

  async function call(request, accept) {
    const response = await fetch(apiUrl(request), {
      headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}`, Accept: accept },
    });
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null), response.statusText);
    return response;
  }

  const api = async (path, params) => (await call([path, params], 'application/json')).json();

  /** The CSV the API gives for a chart's own question, saved under the name the API gives it. */
  async function download(request, fallbackName) {
    const response = await call(request, 'text/csv');
    const name = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '')?.[1] || fallbackName;
    const link = document.createElement('a');
    link.href = URL.createObjectURL(await response.blob());
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  }

  // ---- reference data and settings ------------------------------------------------------------

  let municipalities = [];
  let settings = { signIn: 'token' };
  const municipalityByNis = () => new Map(municipalities.map((m) => [m.nis, m]));
  /** 'brussels' stands for the Brussels-Capital Region, whose municipalities have no province (null). */
  const provinceKey = (m) => m.province ?? 'brussels';

  /** The municipalities of the chosen province in the second select, keeping the choice where it still fits. */
  function showMunicipalities() {
    const province = $('province').value;
    const select = $('municipality');
    const chosen = select.value || select.dataset.wanted || '';
    const first = select.options[0];
    first.textContent = t('allMunicipalities');
    select.replaceChildren(first);
    // On a map of a date, only the municipalities of that map: codes merged away before it are counted in the merged one.
    const map = $('map').value;
    const onMap = (m) => !DATE.test(map) || m.until === null || m.until >= map;
    for (const m of municipalities.filter((m) => province !== '' && provinceKey(m) === province && onMap(m))) {
      const option = document.createElement('option');
      option.value = m.nis;
      option.textContent = m.until ? `${m.name} (${t('until', m.until)})` : m.name;
      select.appendChild(option);
    }
    select.disabled = province === '';
    select.value = [...select.options].some((option) => option.value === chosen) ? chosen : '';
    delete select.dataset.wanted;
  }

  // ---- filters ------------------------------------------------------------------------------

  const FILTER_FIELDS = ['province', 'municipality', 'interval', 'from', 'to', 'cohort', 'endDates', 'transitionRate', 'recordedAsOf', 'map', 'by', 'csvDialect'];
  const FIELD_IDS = { endDates: 'end-dates', transitionRate: 'transition-rate', recordedAsOf: 'recorded-as-of', csvDialect: 'csv-dialect' };
  const fieldOf = (name) => $(FIELD_IDS[name] ?? name);

  function defaultFilters() {
    return { province: '', municipality: '', interval: 'month', from: PROTECTION_START, to: today().slice(0, 7), cohort: PROTECTION_START, endDates: '', transitionRate: '', recordedAsOf: '', map: '', by: '', csvDialect: '' };
  }

  /** The filters in the address (?province=&municipality=&interval=&from=&to=&cohort=&endDates=&transitionRate=&recordedAsOf=&map=&by=&csvDialect=) over the defaults. */
  function filtersFromAddress() {
    const filters = defaultFilters();
    const query = new URLSearchParams(window.location.search);
    for (const name of FILTER_FIELDS) if (query.has(name)) filters[name] = query.get(name);
    return filters;
  }

  /**
   * The moment of "as recorded at" is kept in the address in UTC (a link means the same moment
   * in any time zone) and shown in the browser's own time.
   */
  function localMoment(iso) {
    const moment = new Date(iso);
    if (!iso || Number.isNaN(moment.getTime())) return '';
    return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}T${pad(moment.getHours())}:${pad(moment.getMinutes())}:${pad(moment.getSeconds())}`;
  }
  function utcMoment(local) {
    const moment = new Date(local);
    return local && !Number.isNaN(moment.getTime()) ? moment.toISOString() : local;
  }

  function showFilters(filters) {
    for (const name of FILTER_FIELDS) fieldOf(name).value = name === 'recordedAsOf' ? localMoment(filters[name]) : filters[name];
    // Its options arrive with the reference data.
    $('municipality').dataset.wanted = filters.municipality;
  }

  /** The filters as set, kept in the address with the language so that a link opens the same view. */
  function readFilters() {
    const filters = Object.fromEntries(FILTER_FIELDS.map((name) => [name, fieldOf(name).value.trim()]));
    filters.recordedAsOf = utcMoment(filters.recordedAsOf);
    const query = new URLSearchParams(Object.entries({ ...filters, lang: language === 'nl' ? '' : language }).filter(([, value]) => value !== ''));
    window.history.replaceState(null, '', `${window.location.pathname}?${query}`);
    return filters;
  }

  /** The business dates and places the filters stand for, or the key of a message saying what is wrong. */
  function resolve(filters) {
    if (!MONTH.test(filters.from) || !MONTH.test(filters.to) || !MONTH.test(filters.cohort)) return { error: 'monthsInvalid' };
    const from = `${filters.from}-01`;
    const end = monthEnd(filters.to);
    const to = end < today() ? end : today();
    if (to < from) return { error: 'rangeInvalid' };
    const endDates = filters.endDates.split(/[\s,]+/).filter(Boolean);
    if (endDates.some((date) => !DATE.test(date))) return { error: 'endDatesInvalid' };
    // As the API takes a rate: 0 to 1, a decimal point, at most 6 decimals.
    if (filters.transitionRate && !/^(0(\.\d{1,6})?|1(\.0{1,6})?)$/.test(filters.transitionRate)) return { error: 'ownRateInvalid' };
    const municipality = filters.province === '' ? '' : filters.municipality;
    const groupBy = municipality ? 'municipality' : filters.province ? 'province' : 'none';
    // The group of the choice in a grouped answer: a municipality's code, a province's, or null for Brussels.
    const nis = municipality || (filters.province === 'brussels' ? null : filters.province);
    const interval = ['month', 'quarter', 'year'].includes(filters.interval) ? filters.interval : 'month';
    if (filters.recordedAsOf && !(new Date(filters.recordedAsOf).getTime() <= Date.now())) return { error: 'recordedAsOfInvalid' };
    // What every question asks besides its own: as recorded at a moment, on which map, by which place.
    const common = [
      ...(filters.recordedAsOf ? [['recordedAsOf', filters.recordedAsOf]] : []),
      ...(DATE.test(filters.map) ? [['map', filters.map]] : []),
      ...(filters.by === 'housing' ? [['by', 'housing']] : []),
    ];
    return {
      province: filters.province, municipality, groupBy, nis, interval, from, to, cohort: filters.cohort, endDates,
      transitionRate: filters.transitionRate, recordedAsOf: filters.recordedAsOf, common,
    };
  }

  /** Where the stock and flows are about, in words. */
  const whereText = (range) =>
    range.municipality ? $('municipality').selectedOptions[0].textContent : range.province ? $('province').selectedOptions[0].textContent : t('allOf');

  /** The group of the choice in a grouped answer (undefined: nothing there, so zeros), or the only group. */
  function groupOf(groups, range) {
    if (range.groupBy === 'none') return groups[0];
    return groups.find((group) => group.group && group.group.nis === range.nis);
  }

  const scope = (sectionId, text) => {
    document.querySelector(`#${sectionId} .scope`).textContent = text;
  };

  // ---- the sections -------------------------------------------------------------------------
  // Each asks its question, then returns it with what to paint, so that a load overtaken by a
  // newer one paints nothing, a change of language repaints without asking again, and the CSV
  // button asks the API the same question.

  const STOCK_COLUMNS = () => [
    ['active', t('active')],
    ...STAGES.map(([key]) => [key, t('stages')[key].toLowerCase()]),
    ['employedNow', t('employedNow')],
    ['everEmployed', t('everEmployed')],
  ];
  /** Active under another residence status: what is active besides temporary protection, hidden with it (as the API hides it). */
  const transitionedOf = (group) => {
    const protectedCell = group.byResidenceStatus['temporary-protection'];
    return protectedCell.suppressed || group.active.suppressed ? protectedCell : { value: group.active.value - protectedCell.value, suppressed: false };
  };
  /** A stock group's cells by column; no group (nothing active there): zeros. */
  const stockCells = (group) =>
    group
      ? { active: group.active, ...group.byStage, employedNow: group.employedNow, everEmployed: group.everEmployed }
      : Object.fromEntries(STOCK_COLUMNS().map(([key]) => [key, ZERO]));

  async function funnel(range) {
    const request = ['/statistics/funnel', [['cohort', range.cohort], ['asOf', range.to], ['groupBy', range.groupBy], ...range.common]];
    const answer = await api(...request);
    // The chosen place's own funnel; a place nobody of the cohort registered in has zeros.
    const steps =
      range.groupBy === 'none'
        ? answer.steps
        : (groupOf(answer.groups, range)?.steps ??
          answer.steps.map((step) => ({ step: step.step, count: ZERO, reachedAtAll: ZERO, rateFromPrevious: NONE, rateFromRegistered: NONE, medianDaysFromPrevious: step.medianDaysFromPrevious && NONE })));
    return {
      request,
      suppressBelow: answer.suppressBelow,
      paint() {
        const labels = steps.map((step) => t('stages')[step.step]);
        scope('funnel', t('scopeFunnel', answer.cohort, answer.asOf, whereText(range)));
        draw('funnel-chart', {
          type: 'bar',
          data: {
            labels,
            datasets: [
              dataset(t('reachedAll'), steps.map((s) => s.count), '#4e79a7'),
              dataset(t('reachedAtAll'), steps.map((s) => s.reachedAtAll), '#a0cbe8'),
            ],
          },
          options: { indexAxis: 'y', scales: { x: { beginAtZero: true } } },
        });
        table(
          'funnel-table',
          [
            ['count', t('count')],
            ['reachedAtAll', t('reachedAtAllColumn')],
            ['rateFromPrevious', t('fromPrevious'), percent],
            ['rateFromRegistered', t('fromRegistered'), percent],
            ['medianDaysFromPrevious', t('medianWait'), days],
          ],
          steps.map((step, i) => ({ key: step.step, label: labels[i], cells: step })),
        );
      },
    };
  }

  async function stock(range) {
    const request = [
      '/statistics/stock-over-time',
      [['from', range.from], ['to', range.to], ['interval', range.interval], ['groupBy', range.groupBy], ...range.common],
    ];
    const answer = await api(...request);
    const dates = answer.points.map((point) => point.asOf);
    const groups = answer.points.map((point) => groupOf(point.groups, range));
    const at = (pick) => groups.map((group) => (group ? pick(group) : ZERO));
    return {
      request,
      suppressBelow: answer.suppressBelow,
      paint() {
        scope('stock', t('scopeStock', dates.length, t('intervals')[range.interval], dates[0], range.to, whereText(range)));
        draw('stock-chart', {
          type: 'bar',
          data: {
            labels: dates,
            datasets: [
              dataset(t('active'), at((g) => g.active), '#1d2433', { type: 'line', stack: 'active', pointRadius: 2, borderWidth: 1.5 }),
              dataset(t('transitioned'), at(transitionedOf), '#b07aa1', { type: 'line', stack: 'transitioned', pointRadius: 2, borderWidth: 1.5, borderDash: [4, 3] }),
              ...STAGES.map(([key, colour]) => dataset(t('stages')[key], at((g) => g.byStage[key]), colour, { stack: 'stages' })),
            ],
          },
          options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
        });
        table('stock-table', STOCK_COLUMNS(), dates.map((date, i) => ({ key: date, label: date, cells: stockCells(groups[i]) })));
      },
    };
  }

  async function flows(range) {
    const request = ['/statistics/flows', [['from', range.from], ['to', range.to], ['interval', range.interval], ['groupBy', range.groupBy], ...range.common]];
    const answer = await api(...request);
    const groups = answer.periods.map((period) => groupOf(period.groups, range));
    const at = (pick) => groups.map((group) => (group ? pick(group) : ZERO));
    return {
      request,
      suppressBelow: answer.suppressBelow,
      paint() {
        scope('flows', t('scopeFlows', t('intervals')[answer.interval], answer.from, answer.to, whereText(range)));
        draw('flows-chart', {
          type: 'line',
          data: {
            labels: answer.periods.map((period) => period.period),
            datasets: FLOWS.filter(([, , colour]) => colour).map(([key, pick, colour]) =>
              dataset(t('flows')[key], at(pick), colour, { pointRadius: 1.5, borderWidth: 1.5 }),
            ),
          },
          options: { scales: { y: { beginAtZero: true } } },
        });
        table(
          'flows-table',
          FLOWS.map(([key]) => [key, t('flows')[key].toLowerCase()]),
          answer.periods.map((period, i) => ({
            key: period.period,
            label: period.period,
            cells: Object.fromEntries(FLOWS.map(([key, pick]) => [key, groups[i] ? pick(groups[i]) : ZERO])),
          })),
        );
      },
    };
  }

  const OUTLOOK = [
    ['underTemporaryProtection', (g) => g.underTemporaryProtection, '#4e79a7'],
    ['transitioned', (g) => g.transitioned.total, '#b07aa1'],
    ['left', (g) => g.left, '#bab0ac'],
  ];

  /**
   * The outlook side by side: every end date as the trend (the trailing rates) has it, observed or
   * projected, and with an own transition rate set, each projected end date again under it.
   */
  async function outlook(range) {
    const base = [...range.endDates.map((date) => ['endDate', date]), ['groupBy', range.groupBy], ...range.common];
    const request = ['/statistics/outlook', base];
    const [trend, own] = await Promise.all([
      api(...request),
      range.transitionRate ? api('/statistics/outlook', [...base, ['transitionRate', range.transitionRate]]) : null,
    ]);
    // Labels in the language of the moment they are painted in.
    const columns = [
      ...trend.scenarios.map((s) => ({ s, answer: trend, label: () => `${s.endDate} (${t('kinds')[s.kind]}${s.kind === 'projection' ? `, ${t('scenarios').trend}` : ''})` })),
      ...(own ? own.scenarios.filter((s) => s.kind === 'projection') : []).map((s) => ({ s, answer: own, label: () => `${s.endDate} (${t('scenarios').own(range.transitionRate)})` })),
    ];
    const zero = { active: ZERO, underTemporaryProtection: ZERO, transitioned: { total: ZERO }, left: ZERO, byStage: Object.fromEntries(STAGES.map(([key]) => [key, ZERO])) };
    const groups = columns.map(({ s }) => groupOf(s.groups, range) ?? zero);
    return {
      request,
      suppressBelow: trend.suppressBelow,
      paint() {
        const labels = columns.map((column) => column.label());
        scope('outlook', t('scopeOutlook', trend.lastBusinessDate, whereText(range)));
        draw('outlook-chart', {
          type: 'bar',
          data: { labels, datasets: OUTLOOK.map(([key, pick, colour]) => dataset(t(key), groups.map(pick), colour)) },
          options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
        });
        const ratesOf = (answer) => ({
          arrivals: percent(answer.scenario.arrivals.monthly),
          departures: percent(answer.scenario.departures.monthly),
          transitions: percent(answer.scenario.transitions.monthly),
          sources: ['arrivals', 'departures', 'transitions'].map((rate) => `${t('rateNames')[rate]}: ${t('sources')[answer.scenario[rate].source]}`).join(', '),
        });
        document.querySelector('#outlook .methods').replaceChildren(
          ...columns
            .filter(({ s }) => s.method)
            .map(({ s, answer }) => {
              const item = document.createElement('li');
              item.textContent = t('method', s, ratesOf(answer));
              return item;
            }),
        );
        table(
          'outlook-table',
          [['active', t('active')], ...OUTLOOK.map(([key]) => [key, t(key).toLowerCase()]), ...STAGES.map(([key]) => [key, t('stages')[key].toLowerCase()])],
          columns.map((column, i) => ({
            key: labels[i],
            label: labels[i],
            cells: { active: groups[i].active, ...Object.fromEntries(OUTLOOK.map(([key, pick]) => [key, pick(groups[i])])), ...groups[i].byStage },
          })),
        );
      },
    };
  }

  const VDAB = [
    ['registeredAtVdab', '#edc948'],
    ['everEmployed', '#76b7b2'],
    ['employedNow', '#59a14f'],
  ];
  const VDAB_ZERO = { registeredAtVdab: ZERO, everEmployed: ZERO, employedNow: ZERO, everEmployedShare: NONE, employedNowShare: NONE };

  /** VDAB's pair at the end of every period, for the place chosen (the API's total without one). */
  async function vdab(range) {
    const request = ['/statistics/vdab', [['from', range.from], ['to', range.to], ['interval', range.interval], ['groupBy', range.groupBy], ...range.common]];
    const answer = await api(...request);
    const pairs = answer.points.map((point) => (range.groupBy === 'none' ? point.total : (groupOf(point.groups, range) ?? VDAB_ZERO)));
    return {
      request,
      suppressBelow: answer.suppressBelow,
      paint() {
        const labels = answer.points.map((point) => point.on);
        scope('vdab', t('scopeVdab', t('intervals')[answer.interval], labels[0], labels.at(-1), whereText(range)));
        draw('vdab-chart', {
          type: 'line',
          data: { labels, datasets: VDAB.map(([key, colour]) => dataset(t('vdab')[key], pairs.map((pair) => pair[key]), colour, { pointRadius: 1.5, borderWidth: 1.5 })) },
          options: { scales: { y: { beginAtZero: true } } },
        });
        table(
          'vdab-table',
          [
            ...VDAB.map(([key]) => [key, t('vdab')[key].toLowerCase()]),
            ['everEmployedShare', t('vdab').everEmployedShare, percent],
            ['employedNowShare', t('vdab').employedNowShare, percent],
          ],
          labels.map((label, i) => ({ key: label, label, cells: pairs[i] })),
        );
      },
    };
  }

  const SEXES = [
    ['female', '#e15759'],
    ['male', '#4e79a7'],
    ['x', '#b07aa1'],
    ['unknown', '#bab0ac'],
  ];
  const AGE_BANDS = ['0-17', '18-24', '25-44', '45-64', '65+', 'unknown'];
  const bandName = (band) => t('ageBands')[band] ?? band;

  /** The active dossiers on To by age band and sex, for the place chosen: one table of the API, its cells as it suppresses them. */
  async function people(range) {
    const groupBy = [...(range.groupBy === 'none' ? [] : [range.groupBy]), 'sex', 'ageBand'].join(',');
    const request = ['/statistics/stock', [['asOf', range.to], ['groupBy', groupBy], ...range.common]];
    const answer = await api(...request);
    const here = answer.groups.filter((g) => range.groupBy === 'none' || g.group.nis === range.nis);
    // A band and sex nobody active is in is not in the answer: a real zero.
    const cellOf = (band, sex) => here.find((g) => g.group.ageBand === band && g.group.sex === sex)?.active ?? ZERO;
    return {
      request,
      suppressBelow: answer.suppressBelow,
      paint() {
        const labels = AGE_BANDS.map(bandName);
        scope('people', t('scopePeople', answer.asOf, whereText(range)));
        draw('people-chart', {
          type: 'bar',
          data: { labels, datasets: SEXES.map(([sex, colour]) => dataset(t('sexes')[sex], AGE_BANDS.map((band) => cellOf(band, sex)), colour)) },
          options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
        });
        table(
          'people-table',
          SEXES.map(([sex]) => [sex, t('sexes')[sex]]),
          AGE_BANDS.map((band, i) => ({ key: band, label: labels[i], cells: Object.fromEntries(SEXES.map(([sex]) => [sex, cellOf(band, sex)])) })),
        );
      },
    };
  }

  /** Per province; with a province chosen, per municipality of it: the drill-down. */
  async function breakdown(range) {
    const byMunicipality = range.province !== '';
    const request = ['/statistics/stock', [['asOf', range.to], ['groupBy', byMunicipality ? 'municipality' : 'province'], ...range.common]];
    const answer = await api(...request);
    const known = municipalityByNis();
    const groups = byMunicipality
      ? answer.groups.filter((g) => known.has(g.group.nis) && provinceKey(known.get(g.group.nis)) === range.province)
      : answer.groups;
    return {
      request,
      suppressBelow: answer.suppressBelow,
      paint() {
        const province = byMunicipality ? $('province').selectedOptions[0].textContent : null;
        const labels = groups.map((g) => (byMunicipality || g.group.nis !== null ? g.group.name : t('brussels')));
        $('breakdown-title').textContent = t('breakdownTitle', province);
        $('breakdown-chart').setAttribute('aria-label', t('breakdownTitle', province));
        document.querySelector('#breakdown button.csv').setAttribute('aria-label', t('csv', t('breakdownTitle', province)));
        scope('breakdown', t('scopeBreakdown', answer.asOf, province));
        draw('breakdown-chart', {
          type: 'bar',
          data: {
            labels,
            datasets: STAGES.map(([key, colour]) => dataset(t('stages')[key], groups.map((g) => g.byStage[key]), colour)),
          },
          options: { indexAxis: 'y', scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true } } },
        });
        table('breakdown-table', STOCK_COLUMNS(), groups.map((g, i) => ({ key: g.group.nis ?? 'brussels', label: labels[i], cells: stockCells(g) })));
      },
    };
  }

  const SECTIONS = [
    ['funnel', funnel],
    ['outlook', outlook],
    ['stock', stock],
    ['flows', flows],
    ['vdab', vdab],
    ['people', people],
    ['breakdown', breakdown],
  ];

  /** A section whose answer did not come shows nothing rather than an older answer. */
  function clear(sectionId) {
    const chart = charts.get(`${sectionId}-chart`);
    if (chart) chart.destroy();
    charts.delete(`${sectionId}-chart`);
    $(`${sectionId}-table`).replaceChildren();
    scope(sectionId, '');
    const methods = document.querySelector(`#${sectionId} .methods`);
    if (methods) methods.replaceChildren();
    shown.delete(sectionId);
    document.querySelector(`#${sectionId} button.csv`).disabled = true;
  }

  // ---- status -------------------------------------------------------------------------------

  /** The last message, kept as words to say again in the other language. */
  let message = null;
  function status(key, args = [], isError = false) {
    message = { key, args, isError };
    $('status').textContent = key ? t(key, ...args) : '';
    $('status').classList.toggle('error', isError);
  }

  function explain(error) {
    if (error instanceof ApiError && error.status === 401) {
      const { reason } = error.problem;
      if (settings.signIn === 'oidc') return [reason === 'expired' ? 'sessionExpired' : 'providerRefused'];
      return [reason === 'signature' ? 'tokenOtherDataDir' : reason === 'expired' ? 'tokenExpired' : 'tokenRefused'];
    }
    if (error instanceof ApiError && error.status === 403) return ['forbidden'];
    if (error instanceof ApiError) return ['apiAnswered', [error.status, error.message]];
    return ['couldNotLoad', [error.message]];
  }

  // ---- loading ------------------------------------------------------------------------------

  let generation = 0;
  /** What each section shows now: its question and how to paint it. */
  const shown = new Map();
  let threshold = null;

  /** The moment the answers are as recorded at, or null for now. */
  let recordedAt = null;

  function showNote() {
    const note = $('suppression-note');
    note.hidden = threshold === null;
    if (threshold !== null) note.textContent = threshold > 1 ? t('noteSuppressed', threshold) : t('noteOff', threshold);
    const recorded = $('recorded-note');
    recorded.hidden = recordedAt === null;
    if (recordedAt !== null) recorded.textContent = t('recordedNote', new Date(recordedAt).toLocaleString(LOCALES[language]));
  }

  /** Loads every section for the current filters; a load overtaken by a newer one is dropped. */
  async function load() {
    const mine = ++generation;
    const finish = (state) => {
      document.body.dataset.state = state;
      document.body.dataset.loads = String(Number(document.body.dataset.loads) + 1);
    };
    const range = resolve(readFilters());
    if (!sessionStorage.getItem(TOKEN_KEY)) {
      SECTIONS.forEach(([id]) => clear(id));
      status(settings.signIn === 'oidc' ? 'signInPrompt' : 'pasteToken');
      return finish('no-token');
    }
    if (range.error) {
      status(range.error, [], true);
      return finish('error');
    }
    document.body.dataset.state = 'loading';
    status('loading');
    const results = await Promise.allSettled(SECTIONS.map(([, section]) => section(range)));
    if (mine !== generation) return;
    results.forEach((result, i) => {
      const [id] = SECTIONS[i];
      if (result.status !== 'fulfilled') return clear(id);
      shown.set(id, result.value);
      result.value.paint();
      document.querySelector(`#${id} button.csv`).disabled = false;
    });
    const painted = results.find((result) => result.status === 'fulfilled');
    if (painted) threshold = painted.value.suppressBelow;
    recordedAt = range.recordedAsOf || null;
    showNote();
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) {
      const [key, args] = explain(failed.reason);
      status(key, args, true);
    } else {
      status('loadedAt', [new Date().toLocaleTimeString(LOCALES[language])]);
    }
    finish(failed ? 'error' : 'ready');
  }

  /** Another language: every word again, the charts repainted from the answers they have. */
  function setLanguage(next) {
    language = LANGUAGES.includes(next) ? next : 'nl';
    localStorage.setItem(LANGUAGE_KEY, language);
    translatePage();
    for (const section of shown.values()) section.paint();
    showNote();
    if (message) status(message.key, message.args, message.isError);
    readFilters();
  }

  // ---- signing in ---------------------------------------------------------------------------

  let manager = null;
  /** The provider's name for whoever signed in, or null. */
  let signedInAs = null;

  /**
   * With an OIDC provider: a public client, authorization code with PKCE, the answer coming back
   * to this page. 'failed' when signing in cannot go on (the page then loads nothing).
   */
  async function startOidc() {
    $('oidc-sign-in').hidden = false;
    if (!window.isSecureContext) {
      status('needsHttps', [], true);
      $('sign-in').disabled = true;
      return 'failed';
    }
    const { issuer, clientId, scope: scopes } = settings.oidc;
    manager = new oidc.UserManager({
      authority: issuer,
      client_id: clientId,
      redirect_uri: `${window.location.origin}/dashboard`,
      response_type: 'code',
      scope: scopes,
      loadUserInfo: false,
      automaticSilentRenew: false,
      userStore: new oidc.WebStorageStateStore({ store: window.sessionStorage }),
    });
    const query = new URLSearchParams(window.location.search);
    if (query.has('state') && (query.has('code') || query.has('error'))) {
      try {
        const user = await manager.signinRedirectCallback();
        sessionStorage.setItem(TOKEN_KEY, user.access_token);
        // Back to the view the user signed in from.
        window.history.replaceState(null, '', `${window.location.pathname}${user.state || ''}`);
      } catch (error) {
        window.history.replaceState(null, '', window.location.pathname);
        status('signInFailed', [error.message], true);
        return 'failed';
      }
    }
    const user = await manager.getUser();
    showSignedIn(user);
    return undefined;
  }

  function showSignedIn(user) {
    const signedIn = Boolean(user && sessionStorage.getItem(TOKEN_KEY));
    $('sign-in').hidden = signedIn;
    $('sign-out').hidden = !signedIn;
    signedInAs = signedIn ? user.profile.name || user.profile.preferred_username || user.profile.sub : null;
    showSignedInAs();
  }

  const showSignedInAs = () => {
    $('signed-in-as').textContent = signedInAs ? t('signedInAs', signedInAs) : '';
  };

  /** The language the address asks for, else the one chosen last in this browser, else Dutch. */
  function languageAsked() {
    const asked = new URLSearchParams(window.location.search).get('lang');
    const kept = localStorage.getItem(LANGUAGE_KEY);
    return LANGUAGES.includes(asked) ? asked : LANGUAGES.includes(kept) ? kept : 'nl';
  }

  async function start() {
    Chart.register(suppressedMarkers);
    language = languageAsked();
    [settings, municipalities] = await Promise.all(
      ['/dashboard/assets/settings.json', '/dashboard/assets/municipalities.json'].map(async (path) => (await fetch(path)).json()),
    );
    let failedSignIn;
    if (settings.signIn === 'oidc') failedSignIn = await startOidc();
    else $('token-form').hidden = false;
    // Back from the provider, the address is the one signing in started from again.
    language = languageAsked();
    showFilters(filtersFromAddress());
    translatePage();
    if (message) status(message.key, message.args, message.isError);

    for (const button of document.querySelectorAll('[data-lang]')) button.addEventListener('click', () => setLanguage(button.dataset.lang));
    $('token-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const token = $('token').value.trim();
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      $('token').value = '';
      void load();
    });
    $('forget-token').addEventListener('click', () => {
      sessionStorage.removeItem(TOKEN_KEY);
      void load();
    });
    $('sign-in').addEventListener('click', () => void manager.signinRedirect({ state: window.location.search }));
    $('sign-out').addEventListener('click', async () => {
      await manager.removeUser();
      sessionStorage.removeItem(TOKEN_KEY);
      showSignedIn(null);
      void load();
    });
    $('province').addEventListener('change', showMunicipalities);
    $('map').addEventListener('change', showMunicipalities);
    $('filters').addEventListener('change', () => void load());
    $('filters').addEventListener('submit', (event) => {
      event.preventDefault();
      void load();
    });
    for (const button of document.querySelectorAll('button.csv')) {
      button.addEventListener('click', async () => {
        const section = shown.get(button.dataset.section);
        if (!section) return;
        try {
          // The section's own question, in the CSV dialect chosen (Belgian Excel reads ';' and needs the BOM).
          const [path, params] = section.request;
          const dialect = $('csv-dialect').value;
          await download([path, dialect ? [...params, ['csvDialect', dialect]] : params], `${button.dataset.section}.csv`);
        } catch (error) {
          status('csvFailed', [error.message], true);
        }
      });
    }
    if (failedSignIn) {
      document.body.dataset.state = 'error';
      document.body.dataset.loads = String(Number(document.body.dataset.loads) + 1);
      return;
    }
    await load();
  }

  void start();
})();
