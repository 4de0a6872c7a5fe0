"""The outside linkage probe of version 0.10: three organisations' files of 230 decoy rows
(copied from the bundled sample) and 117 case records of 50 cases a register would produce:
transliteration variants, other scripts, hyphens and swapped names, typos, partial and missing
birth dates, personal numbers, and different people who must stay apart (names with one
consonant skeleton, many people on the placeholder date 1 January). Writes SUBMISSIONS/*.csv,
cases.csv (record -> case) and truth-records.parquet (for `safetally evaluate-linkage`).
Written by an outside reviewer; the README's probe figures come from it.

usage: python linkage_probe.py VALIDATED_DIR OUT_DIR
  VALIDATED_DIR  the bundled sample ingested: safetally ingest data-samples/submissions --work W,
                 then W/01-ingest/validated
then:  safetally ingest OUT_DIR/subs --work P; safetally pseudonymise --key K --work P;
       safetally link --work P; safetally evaluate-linkage --truth OUT_DIR/truth-records.parquet
       --key K --work P
needs: pyarrow
"""
import sys
import csv, os, glob, random
import pyarrow.parquet as pq
random.seed(7)
VALIDATED, DEST = sys.argv[1], sys.argv[2]
OUT=os.path.join(DEST, 'subs'); os.makedirs(OUT, exist_ok=True)
cols=None; rows=[]
for f in sorted(glob.glob(os.path.join(VALIDATED, '*.parquet'))):
    t=pq.read_table(f)
    cols=[c for c in t.column_names if c not in ('source_file','source_line')]
    rows+=t.to_pylist()
direct=[r for r in rows if r['contact_kind']=='direct']
ORGS=['SAMPLE01','SAMPLE02','SAMPLE05']

def luhn(nine):
    s=0
    for i,ch in enumerate(nine):
        d=int(ch)*(2 if i%2==0 else 1); s+=d//10+d%10
    return (10-s%10)%10
def pnr(date, serial):  # date YYYY-MM-DD
    y,m,d=date.split('-'); nine=y[2:]+m+d+'%03d'%serial
    return y[:2]+nine+str(luhn(nine))

out={o:[] for o in ORGS}
# decoys: 230 direct rows spread over three orgs
random.shuffle(direct); decoymap=[]
for i,r in enumerate(direct[:230]):
    decoymap.append((r['org_id'],r['record_id'],ORGS[i%3],'D%03d'%i)); r=dict(r); o=ORGS[i%3]; r['org_id']=o; r['record_id']='D%03d'%i; r['related_record_id']=None
    out[o].append(r)
# templates for case rows: direct adults without a pnr
tmpl=[r for r in direct[230:] if r['age_group']=='adult']
truth=[]  # (org, rid, case)
def rec(case, org, given, family, dob='', pn='', gender='woman'):
    r=dict(random.choice(tmpl))
    r.update(org_id=org, record_id=f'{case}-{org[-2:]}', related_record_id=None,
             given_name=given or None, family_name=family or None, birth_date=dob or None,
             personal_number=pn or None, gender=gender, age_group='adult')
    out[org].append(r); truth.append((org, r['record_id'], case))
A,B,C=ORGS
M,W='man','woman'
# case id, list of (org, given, family, dob, pnr, gender)
rec('c01',A,'Mohammed','Haddad','1988-03-14',gender=M); rec('c01',B,'Muhammad','Haddad','1988-03-14',gender=M); rec('c01',C,'Mohamed','Haddad','1988-03-14',gender=M)
rec('c02',A,'Olga','Kovalenko','1992-05-21'); rec('c02',B,'Olha','Kovalenko','1992-05-21')
rec('c03',A,'Yevgeniy','Smirnov','1985-11-09',gender=M); rec('c03',B,'Evgenij','Smirnov','1985-11-09',gender=M)
rec('c04',A,'Thi Lan','Nguyen','1995-01-30'); rec('c04',B,'Thị Lan','Nguyễn','1995-01-30')
rec('c04b',A,'Mai','Nguyen Thi','1994-02-17'); rec('c04b',B,'Thị Mai','Nguyễn','1994-02-17')
rec('c05',A,'Aleksandr','Volkov','1983-08-17',gender=M); rec('c05',B,'Alexander','Volkov','1983-08-17',gender=M)
rec('c06',A,'Ольга','Петрова','1991-04-12'); rec('c06',B,'Olga','Petrova','1991-04-12')
rec('c07',A,'أحمد','خليل','1987-12-03',gender=M); rec('c07',B,'Ahmed','Khalil','1987-12-03',gender=M)
rec('c07b',A,'محمد','حداد','1979-06-22',gender=M); rec('c07b',B,'Mohammed','Haddad','1979-06-22',gender=M)
rec('c08',A,'Maria','Garcia-Lopez','1993-06-25'); rec('c08',B,'Maria','Garcia Lopez','1993-06-25')
rec('c09',A,'Carmen','Garcia-Lopez','1989-02-11'); rec('c09',B,'Carmen','Garcia','1989-02-11')
rec('c10',A,'Fatima','Osman','1996-10-08'); rec('c10',B,'Osman','Fatima','1996-10-08')
rec('c11',A,'Anna Maria','Lindqvist','1990-09-19'); rec('c11',B,'Anna','Lindqvist','1990-09-19')
rec('c12a',A,'Katarzyna','Nowak','1986-01-27'); rec('c12a',B,'Katarzyna','Nowek','1986-01-27')
rec('c12b',A,'Tomasz','Zielinski','1982-10-13',gender=M); rec('c12b',B,'Tomasz','Zielinsli','1982-10-13',gender=M)
rec('c13',A,'Elena','Popescu','1986-04-07'); rec('c13',B,'','Popescu','1986-04-07')
rec('c14',A,'Ivan','Petrenko','1984-03-07',gender=M); rec('c14',B,'Ivan','Petrenko','1984-07-03',gender=M)
rec('c15',A,'Svetlana','Ivanova','1990-08-15'); rec('c15',B,'Svetlana','Ivanova','1990')
rec('c16a',A,'Lina','Andersson','',pnr('1991-03-12',234)); rec('c16a',B,'Lina','Andersson','1991-03-12')
rec('c16b',A,'Helena','Sjöberg','1987-07-28',pnr('1987-07-28',442)); rec('c16b',B,'Helena','Sjöberg','')
rec('c17',A,'Sara','Ahmadi','1992-12-01',pnr('1992-12-01',562)); rec('c17',B,'Sarah','Nilsson','1992-12-01',pnr('1992-12-01',562))
rec('c18x',A,'Erik','Johansson','1985-05-05',pnr('1985-05-05',111),gender=M); rec('c18y',B,'Erik','Johansson','1985-05-05',pnr('1985-05-05',357),gender=M)
rec('c19x',A,'Anna','Karlsson','1990-01-15'); rec('c19y',B,'Anna','Karlsson','1990-11-23')
rec('c20x',A,'Johan','Berg','1988-04-04',gender=M); rec('c20y',B,'Johan','Berg','1988',gender=M)
rec('c21x',A,'Maja','Holm','1991-02-14'); rec('c21y',B,'Maja','Holm','1991'); rec('c21z',C,'Maja','Holm','1991-09-30')

# ---- round 2
rec('c22',A,'Mohammed','Rahimi','',gender=M); rec('c22',B,'Muhammad','Rahimi','',gender=M)
rec('c23',A,'يوسف','منصور','',gender=M); rec('c23',B,'Youssef','Mansour','',gender=M)
rec('c24',A,'Наталья','Соколова','1989'); rec('c24',B,'Natalya','Sokolova','1989-06-11')
rec('c25',A,'Aleksandr','Morozov','1980-02-02',gender=M); rec('c25',B,'Alexander','Morozov','1980',gender=M)
rec('c26',A,'Grace','Okafor','1994-05-16'); rec('c26',B,'Grace','Okafor','1994-05-18')
rec('c27',A,'Amina','Yusuf','1992-04-13',pnr('1992-04-13',286)[2:8]+'-'+pnr('1992-04-13',286)[8:]); rec('c27',B,'Aminah','Yusuf','1992-04-13',pnr('1992-04-13',286))
rec('c28',A,'Daniel','Tesfaye','1990-06-06',pnr('1990-06-66',391),gender=M); rec('c28',B,'Daniel','Tesfaye','1990-06-06',pnr('1990-06-06',517),gender=M)
rec('c29x',A,'Mohammed','Ali','1990-01-01',gender=M); rec('c29y',B,'Mohammed','Hassan','1990-01-01',gender=M); rec('c29z',C,'Ahmed','Ali','1990-01-01',gender=M)
rec('c30x',A,'Ana','Marin','1985-09-09'); rec('c30y',C,'Florentina','Marin','1985-09-09')
rec('c31x',A,'Ana','Stan','1987-03-03'); rec('c31y',C,'Florentina','Stan','1987-03-03'); rec('c31q',B,'','Stan','1987-03-03')
rec('c32',A,'Åsa','Öberg','1979-11-30'); rec('c32',B,'Aasa','Oeberg','1979-11-30'); rec('c32',C,'Asa','Oberg','1979-11-30')
rec('c33',A,'Thi Hoa','Nguyen','1997-07-07'); rec('c33',B,'Hoa','Nguyen','1997-07-07')
rec('c34',A,'Mohammed Ali','Hassan','1991-05-05',gender=M); rec('c34',B,'Mohammed','Hassan','1991-05-05',gender=M)
rec('c36',A,'Iryna','Shevchenko','1993'); rec('c36',B,'Irina','Shevtchenko','1993-08-08')
rec('c39',A,'Олександр','Бондаренко','1986-10-10',gender=M); rec('c39',B,'Aleksandr','Bondarenko','1986-10-10',gender=M)
rec('c40',A,'Anna-Karin','Berglund','1982-12-12'); rec('c40',B,'Annakarin','Berglund','1982-12-12')
rec('c43',A,'Γεώργιος','Παπαδόπουλος','1980-01-20',gender=M); rec('c43',B,'Georgios','Papadopoulos','1980-01-20',gender=M)
rec('c44',A,'Olga','Bondar',''); rec('c44',B,'Olha','Bondar','')
rec('c45',A,'محمد','صالح','',gender=M); rec('c45',B,'Mohammed','Saleh','',gender=M)

# ---- round 3: placeholder dates and skeleton collisions (all different persons)
rec('c46x',A,'Ahmed','Hassan','1985-01-01',gender=M); rec('c46y',B,'Mahmoud','Hassan','1985-01-01',gender=M)
rec('c47x',A,'Sara','Ali','1995-01-01'); rec('c47y',B,'Zahra','Ali','1995-01-01')
rec('c48x',A,'Amina','Yusuf','1993-01-01'); rec('c48y',B,'Mona','Yusuf','1993-01-01')
men=[('Omar','Farah'),('Yonas','Tesfay'),('Bilal','Khan'),('Abdi','Warsame'),('Samuel','Bekele'),('Reza','Ahmadi'),('Karim','Haddou'),('Dawit','Girma'),('Hamza','Noor')]
women=[('Fatima','Noor'),('Hiba','Saleh'),('Rahel','Tesfay'),('Aster','Girma'),('Leila','Karimi'),('Halima','Abdi'),('Zainab','Omar'),('Mariam','Haddou'),('Selam','Bekele')]
for i,(g,f) in enumerate(men): rec('c49'+'abcdefghi'[i],ORGS[i//3],g,f,'1992-01-01',gender=M)
for i,(g,f) in enumerate(women): rec('c50'+'abcdefghi'[i],ORGS[i//3],g,f,'1992-01-01',gender=W)
for o in ORGS:
    with open(f'{OUT}/{o}.csv','w',newline='',encoding='utf-8') as fh:
        w=csv.writer(fh); w.writerow(cols)
        for r in out[o]:
            w.writerow(['' if r[c] is None else r[c] for c in cols])
with open(os.path.join(DEST, 'cases.csv'),'w',newline='') as fh:
    w=csv.writer(fh); w.writerow(['org_id','record_id','case']); w.writerows(truth)
print({o:len(v) for o,v in out.items()}, len(truth))

import pyarrow as pa
tr=pq.read_table('/work/main/data-samples/truth/records.parquet').to_pylist()
tp={(r['org_id'],r['record_id']):r['person_id'] for r in tr}
rows=[(o2,r2,tp[(o1,r1)]) for o1,r1,o2,r2 in decoymap]
for o,rid,case in truth: rows.append((o,rid,'CASE-'+case))
t=pa.table({'org_id':[r[0] for r in rows],'record_id':[r[1] for r in rows],'report_year':pa.array([2024]*len(rows),pa.int64()),
  'person_id':[r[2] for r in rows],'contact_kind':['direct']*len(rows),'injected_error':pa.array([None]*len(rows),pa.string())})
pq.write_table(t,os.path.join(DEST, 'truth-records.parquet'))
print('truth rows',len(rows))
