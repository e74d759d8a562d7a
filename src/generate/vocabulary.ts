/**
 * Word lists and reference data the generator draws from. Changing any list changes the
 * generated registries (the output is a function of these lists and the seed), so lists are
 * append-only within a generator version.
 *
 * Constraints the name generator relies on (checked by names.test.ts):
 * - ASCII_WORDS: lowercase letters, 3..9 chars, prefix-free (no word is a prefix of another),
 *   so a concatenation of words decodes uniquely; none starts with "xn".
 * - IDN word lists: every word contains at least one non-ASCII character and each list is
 *   prefix-free; Japanese words contain kana, Chinese words are Han only.
 */

export const ASCII_WORDS: readonly string[] = (
  'acorn agile alpine amber anchor apex apple arbor arctic arrow aspen atlas aurora autumn avenue badger bakery bamboo ' +
  'banjo barley basil beacon beaver berry birch bison blaze bloom bluff bonsai border boulder bramble breeze brick bridge ' +
  'bright brook buffalo butter cabin cactus camel canvas canyon caramel cardinal cargo carrot castle cedar cello chalk ' +
  'cherry chess chili cider cinema citrus clover cobalt cocoa comet copper coral cosmos cotton cougar coyote crane crystal ' +
  'cumin cycle daisy dawn delta desert dingo dolphin dove dragon drum dune eagle echo ember emerald engine fable falcon ' +
  'fern ferry fiesta fig finch fjord flame flint forest fossil fox galaxy garden garnet gazelle geyser ginger glacier globe ' +
  'golden gorilla granite grape gravel grove gull harbor harvest hazel heron hickory honey horizon husky iguana indigo ' +
  'iris island ivory jade jaguar jasmine jelly jewel jungle juniper kayak kelp kettle kiwi koala lagoon lantern larch ' +
  'lavender lemon lily linen llama lobster lotus lunar lynx magnet mango maple marble marigold meadow melon mesa meteor ' +
  'mint mocha monsoon moose mosaic mural nectar nimbus noble nomad nova nutmeg oasis ocean olive onyx opal orange orbit ' +
  'orchid otter owl paddle panda papaya parrot pebble pepper pigeon pilot pine pioneer plaza plum polar pony poppy prairie ' +
  'prism puffin pumpkin quail quartz quasar quest quill rabbit radish rain raven reef ribbon river robin rocket rose ruby ' +
  'saffron sage salmon sand sapphire satin scarlet sequoia shadow shell sierra silver sky slate snow solar sonic sparrow ' +
  'spice spruce squid star stone storm summit sun swan tango teal temple thistle thunder tiger timber topaz tropic tulip ' +
  'tundra turtle umber urban valley velvet violet vista vortex walnut wander whale willow winter wolf yak yarrow zebra ' +
  'zenith zephyr'
).split(' ');

/** IDN word lists per IDN table id (RFC 9022 §5.5; ids are language tags as RST rde-11 wants). */
export const IDN_WORDS: Readonly<Record<'de' | 'ja' | 'zh-Hans', readonly string[]>> = {
  de: (
    'bäcker müller grün schön käse über könig bücher märchen höhle fröhlich glück brücke blüte wärme tür öfen ' +
    'löwe mühle küche gemüse süden würze zürich köln düne flöte gärtner hütte jäger kälte lärche möwe nähe ' +
    'pfänder rätsel säge tönung übung völker wölfe zünder äpfel'
  ).split(' '),
  ja: (
    'さくら やま うみ そら ひかり ことば たべもの おちゃ すし ラーメン カメラ ゲーム アニメ ショップ ネット ' +
    'ニュース くるま はな ゆめ まつり ねこ いぬ とり みどり ふじ つき ほし かぜ にじ もり かわ しま ' +
    'みなと てんき おんがく えいが りょこう でんわ'
  ).split(' '),
  'zh-Hans': (
    '网络 商城 科技 北京 上海 天气 新闻 旅游 美食 音乐 电影 健康 教育 汽车 家居 手机 游戏 在线 中心 服务 ' +
    '设计 文化 体育 公司 之家 世界 时代 生活 视频 云端 数据 农业 书店 茶叶 花园'
  ).split(' '),
};

/** Label suffixes for the "words + digits" name style. */
export const NAME_NUMBERS: readonly string[] = ['1', '2', '3', '7', '9', '10', '24', '99', '101', '123', '247', '360', '365', '2000', '2024', '4u', '360x'];

/**
 * A country for postal data: ISO 3166-1 alpha-2 code, ITU dialling code, weight, and name and
 * place data with an ASCII (`int`) form and an optional local-script (`loc`) form. RFC 5733
 * §2.1: `int` postal info is 7-bit ASCII only; `loc` may use any script.
 */
export interface Country {
  cc: string;
  dial: string;
  weight: number;
  /** [int, loc] pairs; loc undefined when identical to int. */
  given: ReadonlyArray<readonly [string, string?]>;
  family: ReadonlyArray<readonly [string, string?]>;
  /** Local-script names are written family name first (East Asian order). */
  familyFirst?: boolean;
  /** [city int, city loc, sp int, sp loc]; sp undefined where addresses carry none. */
  cities: ReadonlyArray<readonly [string, string | undefined, string | undefined, string | undefined]>;
  /** Street patterns [int, loc]; `#` is replaced by a house number. */
  streets: ReadonlyArray<readonly [string, string?]>;
  /** Second and third address lines [int, loc] (default: EXTRA_LINES). */
  extras?: ReadonlyArray<readonly [string, string?]>;
  /** Postal code pattern: `9` digit, `A` letter; undefined: no postal codes. */
  pc?: string;
  /** Organisation patterns [int, loc]; `%` is replaced by a family name. */
  orgs: ReadonlyArray<readonly [string, string?]>;
}

export const COUNTRIES: readonly Country[] = [
  {
    cc: 'US', dial: '1', weight: 30,
    given: [['James'], ['Mary'], ['Robert'], ['Patricia'], ['Michael'], ['Jennifer'], ['Linda'], ['David'], ['Aaliyah'], ['Chen']],
    family: [['Smith'], ['Johnson'], ['Williams'], ['Brown'], ['Garcia'], ['Miller'], ["O'Brien"], ['Davis'], ['Nguyen'], ['Lopez']],
    cities: [['New York', undefined, 'NY', undefined], ['Austin', undefined, 'TX', undefined], ['Seattle', undefined, 'WA', undefined], ['Chicago', undefined, 'IL', undefined], ['Miami', undefined, 'FL', undefined]],
    streets: [['# Main Street'], ['# Oak Avenue'], ['Suite #'], ['# Market St'], ['PO Box #']],
    pc: '99999',
    orgs: [['% Holdings, Inc.'], ['% & Sons LLC'], ['% Media Group'], ['% Consulting LLC']],
  },
  {
    cc: 'CA', dial: '1', weight: 4,
    given: [['Liam'], ['Olivia'], ['Noah'], ['Emma'], ['Chloe'], ['Mathieu'], ['Amelie', 'Amélie']],
    family: [['Tremblay'], ['Martin'], ['Roy'], ['Gagnon'], ['Cote', 'Côté'], ['Wilson']],
    cities: [['Toronto', undefined, 'ON', undefined], ['Montreal', 'Montréal', 'QC', undefined], ['Vancouver', undefined, 'BC', undefined]],
    streets: [['# Yonge Street'], ['# rue Saint-Denis', '# rue Saint-Denis'], ['# King St W']],
    pc: 'A9A 9A9',
    orgs: [['% Technologies Inc.'], ['Groupe % Inc.', 'Groupe % Inc.']],
  },
  {
    cc: 'GB', dial: '44', weight: 7,
    given: [['Oliver'], ['Amelia'], ['Harry'], ['Isla'], ['George'], ['Siobhan'], ['Rhys']],
    family: [['Jones'], ['Taylor'], ['Evans'], ['Thomas'], ["D'Arcy"], ['Walker'], ['MacLeod']],
    cities: [['London', undefined, undefined, undefined], ['Manchester', undefined, undefined, undefined], ['Edinburgh', undefined, undefined, undefined], ['Cardiff', undefined, undefined, undefined]],
    streets: [['# High Street'], ['Flat #, Victoria Road'], ['# Church Lane']],
    pc: 'AA9 9AA',
    orgs: [['% Ltd'], ['% & Partners LLP'], ['% Digital plc']],
  },
  {
    cc: 'DE', dial: '49', weight: 8,
    given: [['Juergen', 'Jürgen'], ['Anna'], ['Lukas'], ['Soeren', 'Sören'], ['Mia'], ['Bjoern', 'Björn'], ['Katharina']],
    family: [['Mueller', 'Müller'], ['Schmidt'], ['Schneider'], ['Fischer'], ['Weiss', 'Weiß'], ['Hoffmann'], ['Koenig', 'König']],
    cities: [['Munich', 'München', 'Bavaria', 'Bayern'], ['Cologne', 'Köln', undefined, undefined], ['Berlin', undefined, undefined, undefined], ['Duesseldorf', 'Düsseldorf', undefined, undefined]],
    streets: [['Hauptstrasse #', 'Hauptstraße #'], ['Gartenweg #'], ['Muehlenweg #', 'Mühlenweg #'], ['Schlossallee #']],
    extras: [['#. OG', '#. OG'], ['Hinterhaus #']],
    pc: '99999',
    orgs: [['% GmbH'], ['% & Soehne KG', '% & Söhne KG'], ['% Medien AG']],
  },
  {
    cc: 'FR', dial: '33', weight: 5,
    given: [['Elodie', 'Élodie'], ['Jerome', 'Jérôme'], ['Camille'], ['Francois', 'François'], ['Ines', 'Inès'], ['Louis']],
    family: [['Lefevre', 'Lefèvre'], ['Dubois'], ['Moreau'], ['Girard'], ['Benoit', 'Benoît'], ['Fontaine']],
    cities: [['Paris', undefined, undefined, undefined], ['Lyon', undefined, undefined, undefined], ['Orleans', 'Orléans', undefined, undefined], ['Nimes', 'Nîmes', undefined, undefined]],
    streets: [['# rue de la Paix'], ['# avenue des Champs-Elysees', '# avenue des Champs-Élysées'], ['# place du Marche', '# place du Marché']],
    extras: [['Batiment #', 'Bâtiment #'], ['#e etage', '#e étage']],
    pc: '99999',
    orgs: [['% SARL'], ['Societe % SA', 'Société % SA']],
  },
  {
    cc: 'ES', dial: '34', weight: 3,
    given: [['Jose', 'José'], ['Maria', 'María'], ['Inigo', 'Íñigo'], ['Lucia', 'Lucía']],
    family: [['Nunez', 'Núñez'], ['Garcia', 'García'], ['Pena', 'Peña'], ['Ibanez', 'Ibáñez']],
    cities: [['Madrid', undefined, 'Madrid', undefined], ['Malaga', 'Málaga', 'Andalusia', 'Andalucía'], ['A Coruna', 'A Coruña', 'Galicia', undefined]],
    streets: [['Calle Mayor #'], ['Avenida de Espana #', 'Avenida de España #']],
    pc: '99999',
    orgs: [['% S.L.'], ['Grupo % S.A.']],
  },
  {
    cc: 'PL', dial: '48', weight: 2,
    given: [['Lukasz', 'Łukasz'], ['Zofia'], ['Malgorzata', 'Małgorzata'], ['Pawel', 'Paweł']],
    family: [['Wojcik', 'Wójcik'], ['Nowak'], ['Krol', 'Król'], ['Zielinski', 'Zieliński']],
    cities: [['Warsaw', 'Warszawa', undefined, undefined], ['Krakow', 'Kraków', undefined, undefined], ['Lodz', 'Łódź', undefined, undefined]],
    streets: [['ul. Dluga #', 'ul. Długa #'], ['ul. Marszalkowska #', 'ul. Marszałkowska #']],
    pc: '99-999',
    orgs: [['% Sp. z o.o.']],
  },
  {
    cc: 'TR', dial: '90', weight: 2,
    given: [['Caglar', 'Çağlar'], ['Aysegul', 'Ayşegül'], ['Omer', 'Ömer']],
    family: [['Ozturk', 'Öztürk'], ['Yilmaz', 'Yılmaz'], ['Sahin', 'Şahin']],
    cities: [['Istanbul', 'İstanbul', undefined, undefined], ['Izmir', 'İzmir', undefined, undefined]],
    streets: [['Ataturk Caddesi No #', 'Atatürk Caddesi No #']],
    pc: '99999',
    orgs: [['% Bilisim A.S.', '% Bilişim A.Ş.']],
  },
  {
    cc: 'SE', dial: '46', weight: 1,
    given: [['Asa', 'Åsa'], ['Bjorn', 'Björn'], ['Linnea']],
    family: [['Strom', 'Ström'], ['Andersson'], ['Akesson', 'Åkesson']],
    cities: [['Goteborg', 'Göteborg', undefined, undefined], ['Malmo', 'Malmö', undefined, undefined], ['Stockholm', undefined, undefined, undefined]],
    streets: [['Storgatan #'], ['Kungsgatan #']],
    pc: '999 99',
    orgs: [['% AB']],
  },
  {
    cc: 'CZ', dial: '420', weight: 1,
    given: [['Jiri', 'Jiří'], ['Tereza'], ['Ondrej', 'Ondřej']],
    family: [['Dvorak', 'Dvořák'], ['Novotny', 'Novotný'], ['Cerny', 'Černý']],
    cities: [['Prague', 'Praha', undefined, undefined], ['Brno', undefined, undefined, undefined]],
    streets: [['Vaclavske namesti #', 'Václavské náměstí #']],
    pc: '999 99',
    orgs: [['% s.r.o.']],
  },
  {
    cc: 'VN', dial: '84', weight: 2,
    given: [['Van An', 'Văn An'], ['Thi Mai', 'Thị Mai'], ['Duc Minh', 'Đức Minh']],
    family: [['Nguyen', 'Nguyễn'], ['Tran', 'Trần'], ['Le', 'Lê']],
    familyFirst: true,
    cities: [['Hanoi', 'Hà Nội', undefined, undefined], ['Ho Chi Minh City', 'Thành phố Hồ Chí Minh', undefined, undefined], ['Da Nang', 'Đà Nẵng', undefined, undefined]],
    streets: [['# Hang Bai', '# Hàng Bài'], ['# Le Loi', '# Lê Lợi']],
    pc: '999999',
    orgs: [['Cong ty %', 'Công ty %']],
  },
  {
    cc: 'BR', dial: '55', weight: 4,
    given: [['Joao', 'João'], ['Ana'], ['Goncalo', 'Gonçalo'], ['Leticia', 'Letícia']],
    family: [['Goncalves', 'Gonçalves'], ['Silva'], ['Araujo', 'Araújo'], ['Conceicao', 'Conceição']],
    cities: [['Sao Paulo', 'São Paulo', 'SP', undefined], ['Rio de Janeiro', undefined, 'RJ', undefined], ['Brasilia', 'Brasília', 'DF', undefined]],
    streets: [['Rua das Flores, #'], ['Avenida Paulista, #']],
    pc: '99999-999',
    orgs: [['% Ltda.'], ['% Comercio S.A.', '% Comércio S.A.']],
  },
  {
    cc: 'JP', dial: '81', weight: 6,
    given: [['Taro', '太郎'], ['Hanako', '花子'], ['Kenji', '健二'], ['Yuki', '由紀'], ['Haruto', '陽翔'], ['Sakura', 'さくら']],
    family: [['Yamada', '山田'], ['Suzuki', '鈴木'], ['Tanaka', '田中'], ['Sato', '佐藤'], ['Takahashi', '高橋'], ['Watanabe', '渡辺']],
    familyFirst: true,
    cities: [['Chiyoda-ku', '千代田区', 'Tokyo', '東京都'], ['Osaka', '大阪市', 'Osaka', '大阪府'], ['Kyoto', '京都市', 'Kyoto', '京都府'], ['Sapporo', '札幌市', 'Hokkaido', '北海道']],
    streets: [['#-1-2 Marunouchi', '丸の内#-1-2'], ['#-3 Nishi-Shinjuku', '西新宿#-3'], ['Sakura Building #F', 'さくらビル#階']],
    extras: [['#F', '#階'], ['Room #', '#号室']],
    pc: '999-9999',
    orgs: [['% Shoji K.K.', '%商事株式会社'], ['% Net Co., Ltd.', '株式会社%ネット']],
  },
  {
    cc: 'CN', dial: '86', weight: 8,
    given: [['Wei', '伟'], ['Na', '娜'], ['Yang', '洋'], ['Jing', '静'], ['Lei', '磊']],
    family: [['Wang', '王'], ['Li', '李'], ['Zhang', '张'], ['Liu', '刘'], ['Chen', '陈']],
    familyFirst: true,
    cities: [['Beijing', '北京市', 'Beijing', '北京'], ['Shanghai', '上海市', 'Shanghai', '上海'], ['Shenzhen', '深圳市', 'Guangdong', '广东省'], ['Hangzhou', '杭州市', 'Zhejiang', '浙江省']],
    streets: [['# Chang\'an Avenue', '长安街#号'], ['# Nanjing Road', '南京路#号'], ['Building #, Science Park', '科技园#号楼']],
    extras: [['Floor #', '#楼'], ['Room #', '#室']],
    pc: '999999',
    orgs: [['% Technology Co., Ltd.', '%科技有限公司'], ['% Network Co., Ltd.', '%网络有限公司']],
  },
  {
    cc: 'KR', dial: '82', weight: 3,
    given: [['Min-jun', '민준'], ['Seo-yeon', '서연'], ['Ji-ho', '지호']],
    family: [['Kim', '김'], ['Lee', '이'], ['Park', '박']],
    familyFirst: true,
    cities: [['Seoul', '서울특별시', undefined, undefined], ['Busan', '부산광역시', undefined, undefined], ['Incheon', '인천광역시', undefined, undefined]],
    streets: [['# Sejong-daero', '세종대로 #'], ['# Teheran-ro', '테헤란로 #']],
    extras: [['Floor #', '#층'], ['Unit #', '#호']],
    pc: '99999',
    orgs: [['% Co., Ltd.', '주식회사 %']],
  },
  {
    cc: 'RU', dial: '7', weight: 5,
    given: [['Ivan', 'Иван'], ['Olga', 'Ольга'], ['Dmitry', 'Дмитрий'], ['Yelena', 'Елена'], ['Sergey', 'Сергей']],
    family: [['Petrov', 'Петров'], ['Smirnova', 'Смирнова'], ['Ivanov', 'Иванов'], ['Kuznetsova', 'Кузнецова'], ['Volkov', 'Волков']],
    cities: [['Moscow', 'Москва', undefined, undefined], ['Saint Petersburg', 'Санкт-Петербург', undefined, undefined], ['Novosibirsk', 'Новосибирск', 'Novosibirsk Oblast', 'Новосибирская область']],
    streets: [['ul. Tverskaya, d. #', 'ул. Тверская, д. #'], ['Nevsky pr., d. #', 'Невский пр., д. #']],
    extras: [['kv. #', 'кв. #'], ['office #', 'офис #']],
    pc: '999999',
    orgs: [['OOO %', 'ООО «%»'], ['AO % Telecom', 'АО «% Телеком»']],
  },
  {
    cc: 'GR', dial: '30', weight: 1,
    given: [['Giorgos', 'Γιώργος'], ['Eleni', 'Ελένη'], ['Nikos', 'Νίκος']],
    family: [['Papadopoulos', 'Παπαδόπουλος'], ['Georgiou', 'Γεωργίου'], ['Nikolaidis', 'Νικολαΐδης']],
    cities: [['Athens', 'Αθήνα', undefined, undefined], ['Thessaloniki', 'Θεσσαλονίκη', undefined, undefined]],
    streets: [['Ermou #', 'Ερμού #'], ['Egnatia #', 'Εγνατία #']],
    extras: [['Floor #', '#ος όροφος']],
    pc: '999 99',
    orgs: [['% A.E.', '% Α.Ε.']],
  },
  {
    cc: 'EG', dial: '20', weight: 1,
    given: [['Mohamed', 'محمد'], ['Fatma', 'فاطمة'], ['Ahmed', 'أحمد']],
    family: [['Ali', 'علي'], ['Hassan', 'حسن'], ['Ibrahim', 'إبراهيم']],
    cities: [['Cairo', 'القاهرة', undefined, undefined], ['Alexandria', 'الإسكندرية', undefined, undefined]],
    streets: [['# Tahrir Street', '# شارع التحرير']],
    orgs: [['% Trading Co.', 'شركة % للتجارة']],
  },
  {
    cc: 'IL', dial: '972', weight: 1,
    given: [['David', 'דוד'], ['Noa', 'נועה']],
    family: [['Cohen', 'כהן'], ['Levi', 'לוי']],
    cities: [['Tel Aviv', 'תל אביב', undefined, undefined], ['Haifa', 'חיפה', undefined, undefined]],
    streets: [['# Rothschild Blvd', 'שדרות רוטשילד #']],
    pc: '9999999',
    orgs: [['% Ltd.', '% בע"מ']],
  },
  {
    cc: 'IN', dial: '91', weight: 4,
    given: [['Priya', 'प्रिया'], ['Arjun', 'अर्जुन'], ['Ananya', 'अनन्या']],
    family: [['Sharma', 'शर्मा'], ['Patel', 'पटेल'], ['Gupta', 'गुप्ता']],
    cities: [['Mumbai', 'मुंबई', 'Maharashtra', 'महाराष्ट्र'], ['New Delhi', 'नई दिल्ली', 'Delhi', 'दिल्ली'], ['Bengaluru', undefined, 'Karnataka', undefined]],
    streets: [['# MG Road'], ['Plot #, Sector 5']],
    pc: '999999',
    orgs: [['% Infotech Pvt. Ltd.'], ['% Web Services LLP']],
  },
  {
    cc: 'TH', dial: '66', weight: 1,
    given: [['Somchai', 'สมชาย'], ['Malee', 'มาลี']],
    family: [['Jaidee', 'ใจดี'], ['Srisuk', 'ศรีสุข']],
    cities: [['Bangkok', 'กรุงเทพมหานคร', undefined, undefined], ['Chiang Mai', 'เชียงใหม่', 'Chiang Mai', 'เชียงใหม่']],
    streets: [['# Sukhumvit Road', '# ถนนสุขุมวิท']],
    pc: '99999',
    orgs: [['% Co., Ltd.', 'บริษัท % จำกัด']],
  },
  {
    cc: 'AU', dial: '61', weight: 2,
    given: [['Jack'], ['Charlotte'], ['Lachlan']],
    family: [['Kelly'], ['Murphy'], ["O'Connor"]],
    cities: [['Sydney', undefined, 'NSW', undefined], ['Melbourne', undefined, 'VIC', undefined], ['Perth', undefined, 'WA', undefined]],
    streets: [['# George Street'], ['Unit #, 12 Beach Rd']],
    pc: '9999',
    orgs: [['% Pty Ltd']],
  },
  {
    cc: 'NL', dial: '31', weight: 3,
    given: [['Daan'], ['Sanne'], ['Joost']],
    family: [['de Vries'], ['van Dijk'], ['Jansen']],
    cities: [['Amsterdam', undefined, undefined, undefined], ['Utrecht', undefined, undefined, undefined], ['Rotterdam', undefined, undefined, undefined]],
    streets: [['Keizersgracht #'], ['Damrak #']],
    pc: '9999 AA',
    orgs: [['% B.V.']],
  },
  {
    cc: 'ZA', dial: '27', weight: 1,
    given: [['Thabo'], ['Naledi'], ['Pieter']],
    family: [['Nkosi'], ['van der Merwe'], ['Dlamini']],
    cities: [['Johannesburg', undefined, 'Gauteng', undefined], ['Cape Town', undefined, 'Western Cape', undefined]],
    streets: [['# Long Street'], ['# Jan Smuts Ave']],
    pc: '9999',
    orgs: [['% (Pty) Ltd']],
  },
  {
    cc: 'HK', dial: '852', weight: 1,
    given: [['Ka Ming', '家明'], ['Wing Yan', '詠欣']],
    family: [['Chan', '陳'], ['Wong', '黃']],
    familyFirst: true,
    cities: [['Hong Kong', '香港', undefined, undefined], ['Kowloon', '九龍', undefined, undefined]],
    streets: [['# Nathan Road', '彌敦道#號'], ['# Queen\'s Road Central', '皇后大道中#號']],
    extras: [['Flat #', '#室'], ['#/F', '#樓']],
    orgs: [['% Limited', '%有限公司']],
  },
];

/** Default second and third address lines [int, loc]. */
export const EXTRA_LINES: ReadonlyArray<readonly [string, string?]> = [['Floor #'], ['Suite #'], ['Unit #'], ['Building #'], ['Apartment #']];

/** Mail domains for contact and registrar emails: RFC 2606 reserved names only. */
export const MAIL_DOMAINS: readonly string[] = ['example.com', 'example.net', 'example.org', 'mail.example.com', 'post.example.net', 'inbox.example.org'];

/** Parts of registrar names. */
export const REGISTRAR_NAME_PATTERNS: readonly string[] = ['% Domains', '% Names, Inc.', '%Registrar Ltd', '% & % Internet Services', 'Registrar % GmbH', '% Hosting', '% Web Solutions', 'Domain % Co.'];

/** Top-level domains used for out-of-bailiwick name servers (the generated TLD is skipped). */
export const EXTERNAL_TLDS: readonly string[] = ['net', 'com', 'org', 'io', 'de', 'nl', 'eu', 'cloud'];

/** Name-server provider name parts. */
export const PROVIDER_WORDS: readonly string[] = ['anycast', 'dnsmadeeasy', 'nsone', 'cloudns', 'hostdns', 'rapiddns', 'easydns', 'dynect', 'ultradns', 'netnod', 'primedns', 'swiftdns'];

/** Status reasons (statusType text) with their language tags. */
export const STATUS_REASONS: ReadonlyArray<readonly [string, string]> = [
  ['en', 'Locked at the request of the registrant'],
  ['en', 'Payment pending'],
  ['fr', 'Verrouillé à la demande du titulaire'],
  ['de', 'Gesperrt wegen Rechtsstreit'],
  ['ja', '登録者の依頼によりロック'],
  ['en', 'Court order 2024/17 & related <ref>'],
];

/**
 * IANA-reserved registrar IDs used for pseudo-registrars (IANA "Registrar IDs" registry):
 * 9999 — the registry operator acting as registrar (Registry Agreement Spec 3, iana-id);
 * 9997 — ICANN's SLA monitoring registrar.
 */
export const IANA_ID_REGISTRY_OPERATOR = 9999;
export const IANA_ID_ICANN_SLA_MONITORING = 9997;
